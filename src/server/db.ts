import "server-only";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient, type Prisma } from "@prisma/client";
import pg from "pg";
import { databaseEnv } from "@/env";

/** The pool of a client, on the client itself: a test that swaps the client swaps its pool. */
const POOL = Symbol.for("idempotent-payments.pg-pool");

type Client = PrismaClient & { [POOL]: pg.Pool };

const globalForPrisma = globalThis as unknown as { prisma?: Client };

function createClient(): Client {
  const { DATABASE_URL, DATABASE_POOL_SIZE } = databaseEnv();
  const pool = new pg.Pool({
    connectionString: DATABASE_URL,
    max: DATABASE_POOL_SIZE,
    // Fail fast when PostgreSQL is down, so callers answer 503 instead of hanging.
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
  });
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  return Object.assign(client, { [POOL]: pool });
}

/**
 * One Prisma client (and so one connection pool) per process. Created on first use so that
 * `next build` can import modules without a database; kept on globalThis so that dev-mode
 * hot reloads do not open a new pool each time.
 */
export function db(): PrismaClient {
  return client();
}

function client(): Client {
  globalForPrisma.prisma ??= createClient();
  return globalForPrisma.prisma;
}

/**
 * One SQL statement straight to the pool Prisma's adapter uses, for the statements every
 * request runs (authentication, the key store): written in SQL anyway (Prisma.sql, the same
 * parameters), they skip Prisma's query engine, which the profile showed spending a fifth of
 * the app's CPU on each of them (docs/decisions/009-hot-path-sql.md). Rows come back as
 * node-postgres reads them: cast columns in SQL to the types the caller declares (`::text`,
 * `::int`); timestamptz is a Date, as with Prisma.
 */
export async function sqlRows<Rows extends unknown[]>(statement: Prisma.Sql): Promise<Rows> {
  const result = await client()[POOL].query({ text: statement.text, values: statement.values });
  return result.rows as Rows;
}

/** As sqlRows, for a statement whose answer is how many rows it changed. */
export async function sqlCount(statement: Prisma.Sql): Promise<number> {
  const result = await client()[POOL].query({ text: statement.text, values: statement.values });
  return result.rowCount ?? 0;
}

/**
 * Closes the client and its pool, for a process that is done (a CLI, a test file): Prisma's
 * disconnect ends the pool only if Prisma itself ever connected through it.
 */
export async function disconnect(): Promise<void> {
  const current = globalForPrisma.prisma;
  if (!current) return;
  await current.$disconnect();
  if (!current[POOL].ended) await current[POOL].end();
}
