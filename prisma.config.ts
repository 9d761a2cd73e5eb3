import { existsSync } from "node:fs";
import { defineConfig } from "prisma/config";
import { createMigrationAdapter } from "./prisma/migration-adapter";

// With a config file Prisma no longer reads .env itself.
if (existsSync(".env")) process.loadEnvFile(".env");

// Prisma 6 with the TypeScript engines: migrations run through the same node-postgres
// driver adapter as the app, so no native engine binary is downloaded (docs/decisions/001).
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations", seed: "tsx --conditions=react-server prisma/seed.ts" },
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => createMigrationAdapter(requireDatabaseUrl()),
});

function requireDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: prisma migrate needs the database to migrate.");
  return url;
}
