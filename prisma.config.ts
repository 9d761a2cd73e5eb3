import { defineConfig } from "prisma/config";
import { createMigrationAdapter } from "./prisma/migration-adapter";
import { CliConfig, notSetMessage } from "./scripts/lib/cli-config";

// With a config file Prisma no longer reads .env itself: the scripts' loader reads the .env
// files as Next.js does, .env.development.local (written by `npm run dev`) included.
const config = new CliConfig("prisma");

// `prisma generate` needs no database, but when env("DATABASE_URL") in the schema has no
// value the CLI falls back to the native engine to read the schema, and tries to download it
// (docs/decisions/001). A placeholder satisfies it; migrations still require a real URL.
const databaseUrl = process.env.DATABASE_URL;
process.env.DATABASE_URL ??= "postgresql://unused@127.0.0.1:5432/unused";

// Prisma 6 with the TypeScript engines: migrations run through the same node-postgres
// driver adapter as the app, so no native engine binary is downloaded (docs/decisions/001).
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations", seed: "tsx --conditions=react-server prisma/seed.ts" },
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => {
    if (!databaseUrl) throw new Error(notSetMessage("DATABASE_URL"));
    // Prisma's own "Can't reach database server" does not say that it is the dev stack's.
    const problem = await config.databaseProblem(databaseUrl);
    if (problem) throw new Error(problem);
    return createMigrationAdapter(databaseUrl);
  },
});
