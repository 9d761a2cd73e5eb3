import { randomUUID } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";

type Adapter = Awaited<ReturnType<PrismaPg["connect"]>>;
type PerformIO = (query: unknown) => Promise<pg.QueryResult>;

// PostgreSQL catalog types that the schema engine reads while introspecting but that the
// adapter cannot decode (prisma/orm issue 27403); both are plain strings.
const CATALOG_TEXT_TYPES = new Set([18 /* "char" */, 19 /* name */]);
const TEXT = 25;

/**
 * The driver adapter the Prisma CLI uses for `migrate` (engine "js"). It differs from a
 * plain `new PrismaPg(url)` in two ways, see docs/decisions/001-prisma-6-offline.md:
 * - catalog columns of type `name` / `"char"` are reported as text;
 * - PrismaPg's shadow database reuses the connection string, in which `database` is
 *   ignored, so `migrate dev` would diff against the main database and then fail to drop
 *   the shadow database while its pool is still connected;
 * - PrismaPg's executeScript splits a migration on every ";", even inside a comment or a
 *   function body ($$ … $$), so a migration defining a trigger function cannot apply.
 */
export function createMigrationAdapter(databaseUrl: string) {
  const config = poolConfigFrom(databaseUrl);
  const main = new PrismaPg(config);
  const connect = async (poolConfig: pg.PoolConfig) =>
    runScriptsWhole(reportCatalogTypesAsText(await new PrismaPg(poolConfig).connect()));

  return Object.assign(main, {
    connect: () => connect(config),
    async connectToShadowDb() {
      const admin = await connect(config);
      const database = `prisma_shadow_${randomUUID().replaceAll("-", "")}`;
      await admin.executeScript(`CREATE DATABASE "${database}"`);
      const shadow = await connect({ ...config, database });
      const dispose = shadow.dispose.bind(shadow);
      shadow.dispose = async () => {
        await dispose(); // close the shadow pool first, or DROP DATABASE waits on it
        await admin.executeScript(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
        await admin.dispose();
      };
      return shadow;
    },
  });
}

function reportCatalogTypesAsText(adapter: Adapter): Adapter {
  const io = adapter as unknown as { performIO: PerformIO };
  const performIO = io.performIO.bind(adapter);
  io.performIO = async (query) => {
    const result = await performIO(query);
    for (const field of result.fields ?? []) {
      if (CATALOG_TEXT_TYPES.has(field.dataTypeID)) field.dataTypeID = TEXT;
    }
    return result;
  };
  return adapter;
}

/**
 * Sends a migration script to PostgreSQL as it is, in one simple-protocol query, which
 * PostgreSQL parses itself (comments, dollar quotes) and runs as one implicit transaction.
 */
function runScriptsWhole(adapter: Adapter): Adapter {
  const inner = adapter as unknown as { client: { query(sql: string): Promise<unknown> }; onError(error: unknown): never };
  adapter.executeScript = async (script: string) => {
    try {
      await inner.client.query(script);
    } catch (error) {
      inner.onError(error);
    }
  };
  return adapter;
}

/** Splits a connection string into fields, so one field (the database) can be replaced. */
function poolConfigFrom(databaseUrl: string): pg.PoolConfig {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)) || "postgres",
    ssl: url.searchParams.get("sslmode") === "require" ? { rejectUnauthorized: false } : undefined,
  };
}
