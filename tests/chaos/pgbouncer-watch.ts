import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import type { ChaosContext } from "./chaos-context";

/** The app's database: the one pool PgBouncer keeps for the instances. */
const DATABASE = "payments";
/** A watch never samples for longer than this, whatever its caller does. */
const MAX_WATCH_MS = 120_000;
const SAMPLE_EVERY_MS = 50;

/** The most of each that a watch saw at once. */
export type PoolPeaks = {
  samples: number;
  /** Client connections PgBouncer held for the app's database (the instances' pools). */
  clients: number;
  /** Of which waiting for a server connection. */
  waiting: number;
  /** Server connections PgBouncer had open to PostgreSQL for it, in every state. */
  servers: number;
  /** Client backends PostgreSQL counted on the app's database (the watch's own excluded). */
  postgresBackends: number;
};

type PoolRow = Record<string, string | number>;

/**
 * Samples PgBouncer's SHOW POOLS (admin console) and PostgreSQL's pg_stat_activity every
 * 50 ms until stop(), on a connection of its own to each: what the pooler held on both
 * sides while a scenario ran. Bounded: it stops sampling by itself after two minutes.
 */
export async function watchPool(adminUrl: string, postgresUrl: string): Promise<{ stop(): Promise<PoolPeaks> }> {
  const admin = new pg.Client({ connectionString: adminUrl });
  const postgres = new pg.Client({ connectionString: postgresUrl });
  // A connection lost mid-watch fails the next sample's query; the event alone must not crash the worker.
  for (const client of [admin, postgres]) client.on("error", () => {});
  await admin.connect();
  await postgres.connect();
  const peaks: PoolPeaks = { samples: 0, clients: 0, waiting: 0, servers: 0, postgresBackends: 0 };
  let stopped = false;
  const sampling = (async () => {
    for (const deadline = Date.now() + MAX_WATCH_MS; !stopped && Date.now() < deadline; ) {
      const [pools, backends] = await Promise.all([
        showRows(admin, "SHOW POOLS"),
        postgres.query<{ count: number }>(
          `SELECT count(*)::int AS count FROM pg_stat_activity
           WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
          [DATABASE],
        ),
      ]);
      const pool = pools.filter((row) => row.database === DATABASE);
      const sum = (columns: string[]) => pool.reduce((total, row) => total + columns.reduce((n, column) => n + Number(row[column] ?? 0), 0), 0);
      peaks.samples += 1;
      peaks.clients = Math.max(peaks.clients, sum(["cl_active", "cl_waiting", "cl_active_cancel_req", "cl_waiting_cancel_req"]));
      peaks.waiting = Math.max(peaks.waiting, sum(["cl_waiting"]));
      peaks.servers = Math.max(
        peaks.servers,
        sum(["sv_active", "sv_active_cancel", "sv_being_canceled", "sv_idle", "sv_used", "sv_tested", "sv_login"]),
      );
      peaks.postgresBackends = Math.max(peaks.postgresBackends, backends.rows[0]?.count ?? 0);
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
    }
  })();
  return {
    async stop() {
      stopped = true;
      try {
        await sampling;
      } finally {
        await Promise.allSettled([admin.end(), postgres.end()]);
      }
      return peaks;
    },
  };
}

/** One SHOW command on PgBouncer's admin console (simple protocol, which is all it speaks). */
export async function showOnce(adminUrl: string, command: "POOLS" | "CLIENTS" | "SERVERS" | "STATS"): Promise<PoolRow[]> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await showRows(admin, `SHOW ${command}`);
  } finally {
    await admin.end();
  }
}

/** The rows of `rows` that are the app database's (SHOW CLIENTS, SHOW STATS…). */
export function ofAppDatabase(rows: PoolRow[]): PoolRow[] {
  return rows.filter((row) => row.database === DATABASE);
}

async function showRows(admin: pg.Client, command: string): Promise<PoolRow[]> {
  return (await admin.query<PoolRow>(command)).rows;
}

/**
 * Lines in which PostgreSQL refused a connection for want of slots ("sorry, too many clients
 * already", "remaining connection slots are reserved…"), in its own log, PgBouncer's, or an
 * instance's.
 */
export function saidTooManyClients(logFiles: ChaosContext["logFiles"]): string[] {
  const files = [logFiles.postgres, logFiles.pgbouncer, ...Object.values(logFiles.instances)].filter(
    (file): file is string => file !== undefined && existsSync(file),
  );
  return files.flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => /too many clients|remaining connection slots/i.test(line))
      .map((line) => `${path.basename(file)}: ${line.slice(0, 300)}`),
  );
}
