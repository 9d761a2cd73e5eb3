import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { ensureDatabase, startEmbeddedPostgres } from "../scripts/lib/embedded-postgres";

const run = promisify(execFile);
export const TEMPLATE_DATABASE = "payments_template";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplateDatabase: string;
  }
}

/**
 * One throw-away PostgreSQL for the whole run, with the migrations applied once to a
 * template database; each test file then gets its own copy (tests/setup-file.ts).
 */
export default async function setup(project: TestProject) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "payments-test-pg-"));
  await chmod(dataDir, 0o755); // run as root, PostgreSQL runs as its own user and must reach it
  const server = await startEmbeddedPostgres({ dataDir: path.join(dataDir, "data"), ephemeral: true });
  await ensureDatabase(server.adminUrl, TEMPLATE_DATABASE);
  await migrate(server.urlFor(TEMPLATE_DATABASE));

  project.provide("pgAdminUrl", server.adminUrl);
  project.provide("pgTemplateDatabase", TEMPLATE_DATABASE);

  return async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}

export async function migrate(databaseUrl: string): Promise<void> {
  await run(path.resolve("node_modules/.bin/prisma"), ["migrate", "deploy"], {
    env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
  });
}
