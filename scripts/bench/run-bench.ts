/**
 * `npm run bench`: measures the payments API side by side, in one run, on this machine:
 * replay vs a bare authenticated read; new payments vs the tutorial's naive design at
 * 10/50/100 clients (Stripe emulated with 150 ms latency); database round trips per request
 * from pg_stat_statements; a same-key storm vs a single request. Writes docs/BENCHMARKS.md
 * and docs/benchmarks.json. Ratios are what matter: the machine is shared and noisy.
 *
 * Two servers on one database and one emulator: the app, built as users get it, and the
 * baseline app (./baseline-app: the naive design and the bare read, built from the same src/
 * modules), so that nothing of the benchmark is in the app (docs/decisions/007-test-hooks-outside-src.md).
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile, chmod } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import pg from "pg";
import { startStripeEmulator } from "../../tools/stripe-emulator";
import { runCommand } from "../lib/child-processes";
import { ensureDatabase, freePort, startEmbeddedPostgres } from "../lib/embedded-postgres";
import { AppInstance } from "../lib/app-instance";
import { buildAppIfStale } from "../lib/build-app-if-stale";
import { createApiKeyViaCli } from "../lib/create-api-key-via-cli";
import { testHooksIn } from "../lib/test-hooks-in-build";
import { cleanupUnderLoad } from "./cleanup-under-load";
import { renderReport, type BenchReport, type LoadResult } from "./render-report";

const DIST_DIR = ".next-bench";
const BASELINE_PROJECT_DIR = "scripts/bench/baseline-app";
const BASELINE_DIST_DIR = ".next-bench-baseline";
const STRIPE_LATENCY_MS = 150;
const DURATION_SECONDS = Number(process.env.BENCH_DURATION_SECONDS ?? 8);
/** Issue 9: expired keys seeded for the cleanup-under-load run (BENCH_CLEANUP_KEYS=0 skips it). */
const CLEANUP_KEYS = Number(process.env.BENCH_CLEANUP_KEYS ?? 1_000_000);
/** Flags for `npm run cleanup`, e.g. "--max-duty 20"; unset, the run measures its defaults. */
const CLEANUP_FLAGS = (process.env.BENCH_CLEANUP_FLAGS ?? "").split(/\s+/).filter(Boolean);
const PAYMENT = JSON.stringify({ amount: 2_500, currency: "eur", paymentMethod: "pm_card_visa" });

async function main() {
  const started = Date.now();
  await buildAppIfStale(DIST_DIR, log);
  await buildAppIfStale(BASELINE_DIST_DIR, log, { projectDir: BASELINE_PROJECT_DIR });
  checkBuilds();

  const tmp = await mkdtemp(path.join(os.tmpdir(), "payments-bench-"));
  await chmod(tmp, 0o755);
  const database = await startEmbeddedPostgres({
    dataDir: path.join(tmp, "pg"),
    ephemeral: true,
    flags: ["-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track=top"],
  });
  const emulator = await startStripeEmulator({ latencyMs: STRIPE_LATENCY_MS });
  const cleanups: Array<() => Promise<unknown>> = [() => rm(tmp, { recursive: true, force: true }), () => database.stop(), () => emulator.close()];
  try {
    await ensureDatabase(database.adminUrl, "bench");
    const databaseUrl = database.urlFor("bench");
    await runCommand("node_modules/.bin/prisma", ["migrate", "deploy"], { env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: "ignore" });
    const stats = new pg.Client({ connectionString: databaseUrl });
    await stats.connect();
    cleanups.unshift(() => stats.end());
    await stats.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");

    const env = {
      DATABASE_URL: databaseUrl,
      AUTH_SECRET: "bench-auth-secret-0123456789-0123456789",
      AUTH_TRUST_HOST: "true",
      STRIPE_SECRET_KEY: "sk_test_bench",
      STRIPE_WEBHOOK_SECRET: "whsec_bench",
      STRIPE_API_BASE: emulator.url,
      RATE_LIMIT_PAYMENTS_PER_MINUTE: "100000000",
      LOG_LEVEL: "warn",
      NEXT_TELEMETRY_DISABLED: "1",
    };
    const [port, baselinePort] = [await freePort(), await freePort()];
    const app = new AppInstance("bench", port, { ...env, AUTH_URL: `http://127.0.0.1:${port}` }, path.join(tmp, "app.log"), DIST_DIR);
    const baseline = new AppInstance(
      "baseline",
      baselinePort,
      { ...env, AUTH_URL: `http://127.0.0.1:${baselinePort}` },
      path.join(tmp, "baseline.log"),
      BASELINE_DIST_DIR,
      BASELINE_PROJECT_DIR,
    );
    await app.start();
    cleanups.unshift(() => app.stop());
    await baseline.start();
    cleanups.unshift(() => baseline.stop());
    const apiKey = await createApiKeyViaCli("bench@example.com", { DATABASE_URL: databaseUrl }, "bench");
    const auth = { authorization: `Bearer ${apiKey}` };
    const json = { ...auth, "content-type": "application/json" };

    // Before any load, so that no request of another phase is still in flight while counting.
    const replayKey = randomUUID();
    await post(app.url, json, replayKey);
    log("database round trips per request (pg_stat_statements)");
    const roundTrips = {
      newPayment: await statementsPerRequest(stats, 50, () => post(app.url, json, randomUUID())),
      replay: await statementsPerRequest(stats, 50, () => post(app.url, json, replayKey)),
    };

    log("warming up");
    await load(`${baseline.url}/api/bench/bare`, { connections: 10, duration: 2, headers: auth });
    await load(`${app.url}/api/payments`, { connections: 10, duration: 2, method: "POST", headers: json, body: PAYMENT, uniqueKeys: true });

    log("replay vs bare authenticated read (50 clients)");
    const bare = await load(`${baseline.url}/api/bench/bare`, { connections: 50, headers: auth });
    const replay = await load(`${app.url}/api/payments`, { connections: 50, method: "POST", headers: { ...json, "idempotency-key": replayKey }, body: PAYMENT });

    const newKeys: BenchReport["newKeys"] = [];
    for (const connections of [10, 50, 100]) {
      log(`new payments vs naive baseline (${connections} clients)`);
      const ours = await load(`${app.url}/api/payments`, { connections, method: "POST", headers: json, body: PAYMENT, uniqueKeys: true });
      await settle();
      const naive = await load(`${baseline.url}/api/bench/naive-payments`, { connections, method: "POST", headers: json, body: PAYMENT, uniqueKeys: true });
      newKeys.push({ connections, ours, naive, limit: connections / (STRIPE_LATENCY_MS / 1000) });
      await settle();
    }

    log("same-key storm (100 concurrent, Prefer: wait=10) vs one request");
    const single = await timed(() => post(app.url, json, randomUUID()));
    const stormKey = randomUUID();
    const storm = await Promise.all(
      Array.from({ length: 100 }, () => timed(() => post(app.url, { ...json, prefer: "wait=10" }, stormKey))),
    );

    let cleanup: BenchReport["cleanup"] = null;
    if (CLEANUP_KEYS > 0) {
      log(`cleanup of ${CLEANUP_KEYS.toLocaleString("en")} expired keys while replays keep coming (20 clients; several minutes)`);
      const { rows } = await stats.query<{ id: string }>("SELECT id::text FROM users WHERE email = 'bench@example.com'");
      cleanup = await cleanupUnderLoad(stats, rows[0]!.id, databaseUrl, {
        url: `${app.url}/api/payments`,
        headers: { ...json, "idempotency-key": replayKey },
        body: PAYMENT,
      }, CLEANUP_KEYS, CLEANUP_FLAGS);
    }

    const { rows: stormRows } = await stats.query<{ id: string }>("SELECT id::text FROM idempotency_keys WHERE key = $1", [stormKey]);
    const stormRowId = stormRows[0]?.id ?? "";

    const report: BenchReport = {
      date: new Date().toISOString(),
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      durationSeconds: DURATION_SECONDS,
      stripeLatencyMs: STRIPE_LATENCY_MS,
      replay,
      bare,
      newKeys,
      roundTrips,
      storm: {
        singleMs: single.ms,
        statuses: countBy(storm.map((s) => s.status)),
        p50Ms: percentile(storm.map((s) => s.ms), 50),
        p99Ms: percentile(storm.map((s) => s.ms), 99),
        maxMs: Math.max(...storm.map((s) => s.ms)),
        paymentIntents: emulator.paymentIntents({ metadata: { idempotency_key_id: stormRowId } }).length,
      },
      cleanup,
      totalSeconds: Math.round((Date.now() - started) / 1000),
    };
    await writeFile("docs/benchmarks.json", `${JSON.stringify(report, null, 2)}\n`);
    await writeFile("docs/BENCHMARKS.md", renderReport(report));
    log("wrote docs/BENCHMARKS.md and docs/benchmarks.json");
    console.log(renderReport(report).split("\n## How")[0]);
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
  }
}

type LoadOptions = {
  connections: number;
  duration?: number;
  method?: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  /** A new Idempotency-Key on every request: each one is a new payment. */
  uniqueKeys?: boolean;
};

async function load(url: string, options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.duration ?? DURATION_SECONDS,
    method: options.method ?? "GET",
    headers: options.headers,
    body: options.body,
    timeout: 30,
    ...(options.uniqueKeys && {
      requests: [
        {
          setupRequest: (request: autocannon.Request) => ({
            ...request,
            headers: { ...request.headers, "idempotency-key": randomUUID() },
          }),
        },
      ],
    }),
  });
  return {
    requestsPerSecond: Math.round(result.requests.average * 10) / 10,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

async function post(baseUrl: string, headers: Record<string, string>, key: string): Promise<number> {
  const response = await fetch(`${baseUrl}/api/payments`, { method: "POST", headers: { ...headers, "idempotency-key": key }, body: PAYMENT });
  await response.arrayBuffer();
  return response.status;
}

/** Statements the app sent per request, by text, over `count` sequential requests. */
async function statementsPerRequest(stats: pg.Client, count: number, request: () => Promise<number>) {
  await stats.query("SELECT pg_stat_statements_reset()");
  for (let i = 0; i < count; i++) await request();
  const { rows } = await stats.query<{ query: string; calls: string }>(
    `SELECT query, calls FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND query NOT ILIKE '%pg_stat_statements%' AND query NOT IN ('BEGIN', 'COMMIT')
     ORDER BY calls DESC`,
  );
  const statements = rows.map((row) => ({
    calls: Number(row.calls) / count,
    query: summarise(row.query),
    // API-key authentication (key, then its user) is the same for every route, bare included.
    part: /"(api_keys|users)"/.test(row.query) ? ("authentication" as const) : ("engine" as const),
  }));
  const sum = (part?: string) =>
    Math.round(statements.filter((s) => !part || s.part === part).reduce((total, s) => total + s.calls, 0) * 100) / 100;
  return { perRequest: sum(), engine: sum("engine"), statements };
}

/**
 * The app measured is the one users get, and the baseline's routes are where they are
 * measured: the same search as the e2e suite's production-build test.
 */
function checkBuilds(): void {
  const inApp = Object.keys(testHooksIn(DIST_DIR));
  if (inApp.length > 0) throw new Error(`${DIST_DIR}/ holds test hooks (${inApp.join(", ")}): not the app users get`);
  if (!testHooksIn(BASELINE_DIST_DIR).benchRoutes) throw new Error(`${BASELINE_DIST_DIR}/ holds no /api/bench/ route`);
}

/** Lets the server finish what the previous load left in flight before the next one starts. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 3_000));
}

function summarise(sql: string): string {
  return sql.replace(/\s+/g, " ").trim().slice(0, 70);
}

async function timed(work: () => Promise<number>): Promise<{ ms: number; status: number }> {
  const start = performance.now();
  const status = await work();
  return { ms: Math.round(performance.now() - start), status };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function countBy(values: number[]): Record<string, number> {
  return values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {});
}

function log(message: string) {
  process.stderr.write(`[bench] ${message}\n`);
}

// Exit explicitly: embedded-postgres hooks `beforeExit` and would turn a failure into exit 0.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
