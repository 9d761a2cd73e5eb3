import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { ensureDatabase, freePort, startEmbeddedPostgres } from "../../scripts/lib/embedded-postgres";
import { startStripeEmulator } from "../../tools/stripe-emulator";
import { migrate } from "../global-setup";
import { buildAppIfStale } from "../../scripts/lib/build-app-if-stale";
import { AppInstance } from "../../scripts/lib/app-instance";
import type { ChaosContext } from "./chaos-context";
import { startControlServer } from "./control-server";
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

/**
 * Everything the chaos and corpus suites run against, started once and owned here: an
 * embedded PostgreSQL (temp dir) with the migrations, the production build, the Stripe
 * emulator (in this process), two `next start` instances sharing the database, and the
 * control endpoint through which the tests crash and restart them. The teardown stops it all
 * and prints the summary table.
 */
export default async function setup(project: TestProject) {
  const log = (line: string) => process.stdout.write(`[chaos] ${line}\n`);
  const workDir = await mkdtemp(path.join(os.tmpdir(), "payments-chaos-"));
  await chmod(workDir, 0o755); // PostgreSQL runs as its own user when we are root
  const summaryFile = path.join(workDir, "summary.jsonl");
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
    }
    process.stdout.write(`\nChaos summary\n${table}\n\n`);
    await rm(workDir, { recursive: true, force: true });
  };

  try {
    const build = buildAppIfStale(CHAOS_DIST_DIR, log, { phaseHooks: PHASE_HOOKS }); // meanwhile: the database
    const dataDir = path.join(workDir, "postgres");
    let postgres = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    const postgresPort = postgres.port;
    stops.push(() => postgres.stop());
    await ensureDatabase(postgres.adminUrl, "payments");
    const databaseUrl = postgres.urlFor("payments");
    await migrate(databaseUrl);
    const { users, revokedApiKey } = await createUsers(databaseUrl);
    await build;

    const ports = { a: await freePort(), b: await freePort() };
    const webhookSecret = `whsec_${randomBytes(16).toString("hex")}`;
    // Webhooks go to B, the instance no scenario crashes; retried briefly, so none is
    // still pending long after the scenario that caused it.
    const emulator = await startStripeEmulator({
      webhookUrl: `http://127.0.0.1:${ports.b}/api/webhooks/stripe`,
      webhookSecret,
      webhookRetry: { maxAttempts: 3, baseDelayMs: 200, timeoutMs: 5_000 },
    });
    stops.push(() => emulator.close());

    const env = {
      NEXT_TELEMETRY_DISABLED: "1",
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: "20",
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
      instances.push(new AppInstance(name, port, { ...env, AUTH_URL: url }, path.join(workDir, `instance-${name}.log`), CHAOS_DIST_DIR));
    }
    stops.push(() => Promise.all(instances.map((instance) => instance.stop())));
    await Promise.all(instances.map((instance) => instance.start()));
    const [a, b] = instances as [AppInstance, AppInstance];

    let postgresRunning = true;
    const control = await startControlServer({
      instances: { a, b },
      postgres: {
        stop: async () => {
          await postgres.stop();
          postgresRunning = false;
        },
        // Idempotent, so a test's cleanup can always ask for it.
        start: async () => {
          if (postgresRunning) return;
          postgres = await startEmbeddedPostgres({ dataDir, port: postgresPort, ephemeral: true });
          postgresRunning = true;
        },
      },
    });
    stops.push(() => control.close());

    const context: ChaosContext = {
      instances: { a: a.url, b: b.url },
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
    log(`ready: instances ${a.url} and ${b.url}, emulator ${emulator.url}, PostgreSQL port ${postgresPort}`);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

async function createUsers(databaseUrl: string): Promise<Pick<ChaosContext, "users" | "revokedApiKey">> {
  const { stdout } = await run(
    path.resolve("node_modules/.bin/tsx"),
    ["--conditions=react-server", "tests/chaos/create-chaos-users.ts", ...CHAOS_USER_ROLES],
    { env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "silent" } },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Pick<ChaosContext, "users" | "revokedApiKey">;
}
