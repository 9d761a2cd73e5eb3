import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { ensureDatabase, freePort, startEmbeddedPostgres } from "../../scripts/lib/embedded-postgres";
import { startPgBouncer } from "../../scripts/lib/pgbouncer";
import { startStripeEmulator } from "../../tools/stripe-emulator";
import { migrate } from "../global-setup";
import { buildAppIfStale } from "../../scripts/lib/build-app-if-stale";
import { AppInstance } from "../../scripts/lib/app-instance";
import type { ChaosContext, InstanceName } from "./chaos-context";
import { startControlServer } from "./control-server";
import { saidTooManyClients } from "./pgbouncer-watch";
import { formatSummary } from "./summary";

/** The chaos run's own production build, beside (never over) the developer's `.next`. */
const CHAOS_DIST_DIR = ".next-chaos";
/** Built in place of the engine's no-op phase hooks: the crash points (next.config.ts). */
const PHASE_HOOKS = "tests/chaos/crash-at-phase.ts";

const run = promisify(execFile);

/**
 * Stripe timing of the instances, and a lock timeout just above what env.ts accepts for it
 * (2000 ms × 2 attempts + 5 s backoff = 9 s): short enough that the crash scenarios wait
 * it out in seconds, long enough that a slow Stripe call is never mistaken for a crash.
 */
const STRIPE_TIMEOUT_MS = 2_000;
const STRIPE_MAX_NETWORK_RETRIES = 1;
const LOCK_TIMEOUT_SECONDS = 10;

/** One user per role, so each scenario counts only its own rows and PaymentIntents. */
const CHAOS_USER_ROLES = [
  "storm",
  "crash-after-claim",
  "crash-after-stripe-call",
  "crash-before-complete",
  "crash-3ds",
  "faults-latency",
  "faults-errors",
  "faults-drops",
  "faults-hangs",
  "postgres",
  ...Array.from({ length: 20 }, (_, i) => `mixed-${i}`),
  "corpus",
  "corpus-other",
  "spec-fuzz-0", "spec-fuzz-1",
];

/** How the instances reach PostgreSQL, and how many there are (vitest.chaos.config.ts runs one project per topology). */
export type Topology = {
  name: ChaosContext["topology"]["name"];
  /** For the log and the summary table. */
  label: string;
  instances: InstanceName[];
  /** DATABASE_POOL_SIZE of each instance. */
  poolSizePerInstance: number;
  /** PostgreSQL's max_connections. */
  postgresMaxConnections: number;
  /** PgBouncer between the instances and PostgreSQL (transaction pooling); none: they connect directly. */
  pgbouncer?: { defaultPoolSize: number; reservePoolSize: number; maxClientConn: number; settings?: Record<string, string | number> };
};

/** Two instances straight to PostgreSQL: every scenario and the corpus. */
export const DIRECT: Topology = {
  name: "direct",
  label: "two instances, direct to PostgreSQL",
  instances: ["a", "b"],
  poolSizePerInstance: 20,
  postgresMaxConnections: 200,
};

/**
 * Four instances whose pools together (4 × 25 = 100) exceed PostgreSQL's max_connections
 * (60), through PgBouncer in transaction mode with a server pool well under it (20, plus 5
 * in reserve for clients that waited a second). Migrations, user creation and the suites'
 * own SQL go to PostgreSQL directly, as `prisma migrate deploy` must
 * (docs/decisions/010-pgbouncer-transaction-mode.md).
 */
export const PGBOUNCER: Topology = {
  name: "pgbouncer",
  label: "four instances through PgBouncer (transaction mode)",
  instances: ["a", "b", "c", "d"],
  poolSizePerInstance: 25,
  postgresMaxConnections: 60,
  pgbouncer: {
    defaultPoolSize: 20,
    reservePoolSize: 5,
    maxClientConn: 200,
    // After PostgreSQL failed it, try again a second later, not 15 s (the default).
    settings: { reserve_pool_timeout: 1, max_db_connections: 25, server_login_retry: 1 },
  },
};

/** The direct topology: `globalSetup` of the "direct" project. */
export default function setup(project: TestProject) {
  return startChaosRun(project, DIRECT);
}

/**
 * Everything the chaos and corpus suites run against, started once per topology and owned
 * here: an embedded PostgreSQL (temp dir) with the migrations, the production build, the
 * Stripe emulator (in this process), the `next start` instances sharing the database
 * (through PgBouncer if the topology has it), and the control endpoint through which the
 * tests crash and restart them. The teardown stops it all and prints the summary table.
 */
export async function startChaosRun(project: TestProject, topology: Topology) {
  const log = (line: string) => process.stdout.write(`[chaos ${topology.name}] ${line}\n`);
  const workDir = await mkdtemp(path.join(os.tmpdir(), `payments-chaos-${topology.name}-`));
  await chmod(workDir, 0o755); // PostgreSQL runs as its own user when we are root
  const summaryFile = path.join(workDir, "summary.jsonl");
  const logFiles: ChaosContext["logFiles"] = {
    postgres: path.join(workDir, "postgres.log"),
    ...(topology.pgbouncer && { pgbouncer: path.join(workDir, "pgbouncer.log") }),
    instances: Object.fromEntries(topology.instances.map((name) => [name, path.join(workDir, `instance-${name}.log`)])),
  };
  const appendTo = (file: string) => (line: string) => appendFileSync(file, `${line}\n`);
  const stops: Array<() => Promise<unknown>> = [];
  const instances: AppInstance[] = [];
  const killInstances = () => instances.forEach((instance) => instance.killNow());
  process.once("exit", killInstances); // if the run dies before the teardown

  const teardown = async () => {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => log(`while stopping: ${String(error)}`));
    process.off("exit", killInstances);
    const table = formatSummary(summaryFile);
    if (table.includes("FAIL")) {
      for (const instance of instances) log(`last lines of instance ${instance.name}:\n${instance.status().logTail}`);
      if (logFiles.pgbouncer && existsSync(logFiles.pgbouncer)) log(`last lines of PgBouncer:\n${readFileSync(logFiles.pgbouncer, "utf8").slice(-3_000)}`);
    }
    process.stdout.write(`\nChaos summary: ${topology.label}\n${table}\n\n`);
    // The storm's test checks this up to its end; this covers the scenarios after it too.
    const tooManyClients = topology.pgbouncer ? saidTooManyClients(logFiles) : [];
    await rm(workDir, { recursive: true, force: true });
    if (tooManyClients.length > 0) throw new Error(`PostgreSQL refused connections behind PgBouncer: ${tooManyClients.join(" / ")}`);
  };

  try {
    const build = buildAppIfStale(CHAOS_DIST_DIR, log, { phaseHooks: PHASE_HOOKS }); // meanwhile: the database
    const dataDir = path.join(workDir, "postgres");
    const startPostgres = (port?: number) =>
      startEmbeddedPostgres({
        dataDir,
        port,
        ephemeral: true,
        maxConnections: topology.postgresMaxConnections,
        onLog: appendTo(logFiles.postgres),
      });
    let postgres = await startPostgres();
    const postgresPort = postgres.port;
    stops.push(() => postgres.stop());
    await ensureDatabase(postgres.adminUrl, "payments");
    // Straight to PostgreSQL: migrations (Prisma's migrate holds a session-level advisory
    // lock), user creation, and the suites' own SQL.
    const databaseUrl = postgres.urlFor("payments");
    await migrate(databaseUrl);
    const { users, revokedApiKey } = await createUsers(databaseUrl);

    let appDatabaseUrl = databaseUrl;
    let pgbouncerContext: ChaosContext["topology"]["pgbouncer"];
    if (topology.pgbouncer) {
      const { defaultPoolSize, reservePoolSize, maxClientConn, settings } = topology.pgbouncer;
      const pgbouncer = await startPgBouncer({
        upstream: postgres.adminUrl,
        poolMode: "transaction",
        defaultPoolSize,
        reservePoolSize,
        maxClientConn,
        settings,
        onLog: appendTo(logFiles.pgbouncer!),
      });
      stops.push(() => pgbouncer.stop());
      appDatabaseUrl = pgbouncer.urlFor("payments");
      pgbouncerContext = { adminUrl: pgbouncer.adminUrl, serverPoolSize: defaultPoolSize + reservePoolSize, maxClientConn };
      log(`PgBouncer on port ${pgbouncer.port}: transaction pooling, ${defaultPoolSize} + ${reservePoolSize} server connections`);
    }
    await build;

    const ports = Object.fromEntries(await Promise.all(topology.instances.map(async (name) => [name, await freePort()] as const)));
    const webhookSecret = `whsec_${randomBytes(16).toString("hex")}`;
    // Webhooks go to B, the instance no scenario crashes; retried briefly, so none is
    // still pending long after the scenario that caused it.
    const emulator = await startStripeEmulator({
      webhookUrl: `http://127.0.0.1:${ports.b!}/api/webhooks/stripe`,
      webhookSecret,
      webhookRetry: { maxAttempts: 3, baseDelayMs: 200, timeoutMs: 5_000 },
    });
    stops.push(() => emulator.close());

    const env = {
      NEXT_TELEMETRY_DISABLED: "1",
      DATABASE_URL: appDatabaseUrl,
      DATABASE_POOL_SIZE: String(topology.poolSizePerInstance),
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      AUTH_TRUST_HOST: "true",
      STRIPE_SECRET_KEY: `sk_test_chaos_${randomBytes(8).toString("hex")}`,
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      STRIPE_API_BASE: emulator.url,
      STRIPE_TIMEOUT_MS: String(STRIPE_TIMEOUT_MS),
      STRIPE_MAX_NETWORK_RETRIES: String(STRIPE_MAX_NETWORK_RETRIES),
      IDEMPOTENCY_LOCK_TIMEOUT: String(LOCK_TIMEOUT_SECONDS),
      RATE_LIMIT_PAYMENTS_PER_MINUTE: "100000",
      RATE_LIMIT_REFUNDS_PER_MINUTE: "100000",
      LOG_LEVEL: "warn",
    };
    for (const [name, port] of Object.entries(ports)) {
      const url = `http://127.0.0.1:${port}`;
      instances.push(new AppInstance(name, port, { ...env, AUTH_URL: url }, logFiles.instances[name]!, CHAOS_DIST_DIR));
    }
    stops.push(() => Promise.all(instances.map((instance) => instance.stop())));
    await Promise.all(instances.map((instance) => instance.start()));

    let postgresRunning = true;
    const control = await startControlServer({
      instances: Object.fromEntries(instances.map((instance) => [instance.name, instance])),
      postgres: {
        stop: async () => {
          await postgres.stop();
          postgresRunning = false;
        },
        // Idempotent, so a test's cleanup can always ask for it. Through PgBouncer, "running"
        // means PgBouncer serves queries again: after failed logins it refuses them until its
        // next attempt (server_login_retry), which the next scenario must not inherit.
        start: async () => {
          if (postgresRunning) return;
          postgres = await startPostgres(postgresPort);
          postgresRunning = true;
          if (appDatabaseUrl !== databaseUrl) await untilServed(appDatabaseUrl);
        },
      },
    });
    stops.push(() => control.close());

    const context: ChaosContext = {
      instances: Object.fromEntries(instances.map((instance) => [instance.name, instance.url])) as ChaosContext["instances"],
      topology: {
        name: topology.name,
        postgresMaxConnections: topology.postgresMaxConnections,
        poolSizePerInstance: topology.poolSizePerInstance,
        ...(pgbouncerContext && { pgbouncer: pgbouncerContext }),
      },
      logFiles,
      controlUrl: control.url,
      distDir: CHAOS_DIST_DIR,
      emulatorUrl: emulator.url,
      databaseUrl,
      webhookSecret,
      lockTimeoutSeconds: LOCK_TIMEOUT_SECONDS,
      stripeTimeoutMs: STRIPE_TIMEOUT_MS,
      users,
      revokedApiKey,
      summaryFile,
    };
    project.provide("chaos", context);
    log(`ready: instances ${instances.map((instance) => instance.url).join(", ")}, emulator ${emulator.url}, PostgreSQL port ${postgresPort}`);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

/** Resolves once `SELECT 1` succeeds on `url` (bounded: 15 s). */
async function untilServed(url: string): Promise<void> {
  for (const deadline = Date.now() + 15_000; ; ) {
    const client = new pg.Client({ connectionString: url });
    client.on("error", () => {}); // PgBouncer closes the connection after refusing the query
    try {
      await client.connect();
      await client.query("SELECT 1");
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`no query served through ${new URL(url).host} 15 s after PostgreSQL started: ${String(error)}`);
    } finally {
      await client.end().catch(() => {});
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function createUsers(databaseUrl: string): Promise<Pick<ChaosContext, "users" | "revokedApiKey">> {
  const { stdout } = await run(
    path.resolve("node_modules/.bin/tsx"),
    ["--conditions=react-server", "tests/chaos/create-chaos-users.ts", ...CHAOS_USER_ROLES],
    { env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "silent" } },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Pick<ChaosContext, "users" | "revokedApiKey">;
}
