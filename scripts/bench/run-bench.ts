/**
 * `npm run bench`: measures the payments API side by side, in one run, on this machine, and
 * writes BENCHMARKS.md and benchmarks.json (docs/ unless --out; see ./options.ts):
 *
 * - CPU time per request of each process (the app, the naive baseline app, PostgreSQL, the Stripe
 *   emulator, the load generator), from /proc around every load (./process-cpu.ts);
 * - the matrix: Stripe latency (150, 300 ms) × clients (10, 50, 100), new payments and replays,
 *   ours vs the tutorial's naive design;
 * - database round trips per request from pg_stat_statements, authentication included;
 * - replays vs a bare authenticated read, a same-key storm, and the TTL cleanup of 1,000,000
 *   keys under load (./cleanup-under-load.ts);
 * - with --profile, a CPU profile of the app's request path (./profile.ts).
 *
 * Two servers on one database and one emulator: the app, built as users get it, and the
 * baseline app (./baseline-app: the naive design and the bare read, built from the same src/
 * modules), so that nothing of the benchmark is in the app (docs/decisions/007-test-hooks-outside-src.md).
 * The emulator runs in a process of its own, so that its CPU is counted apart from the load generator's.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import pg from "pg";
import { parseDatabaseEnv } from "../../src/env";
import { AppInstance } from "../lib/app-instance";
import { buildAppIfStale } from "../lib/build-app-if-stale";
import { runCommand } from "../lib/child-processes";
import { createApiKeyViaCli } from "../lib/create-api-key-via-cli";
import { ensureDatabase, freePort, startEmbeddedPostgres } from "../lib/embedded-postgres";
import { testHooksIn } from "../lib/test-hooks-in-build";
import { cleanupUnderLoad } from "./cleanup-under-load";
import { startEmulatorProcess } from "./emulator-process";
import { benchServerEnv } from "./server-env";
import { measuredWindow, parseOptions, USAGE, type BenchOptions } from "./options";
import { clockTicksPerSecond, cpuWindow, snapshot, sumWindows, type CpuSnapshot, type ProcessRoots } from "./process-cpu";
import { ProfiledServer, summariseProfile, type ProfileSummary, type ProfileWindowInput } from "./profile";
import { evaluateTargets, renderReport, type BenchReport, type LoadResult, type MatrixCell, type RoundTrips } from "./render-report";

const DIST_DIR = ".next-bench";
const BASELINE_PROJECT_DIR = "scripts/bench/baseline-app";
const BASELINE_DIST_DIR = ".next-bench-baseline";
/** Gitignored (.data/); one folder per run. */
const PROFILES_DIR = ".data/profiles";
const PAYMENTS = "/api/payments";
const NAIVE_PAYMENTS = "/api/bench/naive-payments";
const BARE = "/api/bench/bare";
const BARE_CLIENTS = 50;
const PAYMENT = JSON.stringify({ amount: 2_500, currency: "eur", paymentMethod: "pm_card_visa" });
/** A drain never waits longer than this for the requests in flight. */
const MAX_SETTLE_MS = 30_000;

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const started = Date.now();
  const seconds: Record<string, number> = {};
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const at = Date.now();
    try {
      return await work();
    } finally {
      seconds[name] = Math.round((Date.now() - at) / 1000);
    }
  };
  log(
    `${options.quick ? "quick run: " : ""}${options.durationSeconds} s loads; matrix ${options.latenciesMs.join("/")} ms × ${options.clients.join("/")} clients` +
      `${options.profile ? "; with a profile" : ""}; results into ${options.outDir}/`,
  );

  await phase("build", async () => {
    await buildAppIfStale(DIST_DIR, log);
    await buildAppIfStale(BASELINE_DIST_DIR, log, { projectDir: BASELINE_PROJECT_DIR });
  });
  checkBuilds();

  const tmp = await mkdtemp(path.join(os.tmpdir(), "payments-bench-"));
  await chmod(tmp, 0o755);
  const cleanups: Array<() => Promise<unknown>> = [() => rm(tmp, { recursive: true, force: true })];
  try {
    const pgDataDir = path.join(tmp, "pg");
    const database = await startEmbeddedPostgres({
      dataDir: pgDataDir,
      ephemeral: true,
      flags: ["-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track=top", "-c", "pg_stat_statements.track_utility=on"],
    });
    cleanups.unshift(() => database.stop());
    const emulator = await startEmulatorProcess(options.latenciesMs[0]!);
    cleanups.unshift(() => emulator.stop());

    await ensureDatabase(database.adminUrl, "bench");
    const databaseUrl = database.urlFor("bench");
    await runCommand("node_modules/.bin/prisma", ["migrate", "deploy"], { env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: "ignore" });
    const stats = new pg.Client({ connectionString: databaseUrl });
    await stats.connect();
    cleanups.unshift(() => stats.end());
    await stats.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    const postgresVersion = (await stats.query<{ server_version: string }>("SHOW server_version")).rows[0]?.server_version ?? "?";

    // The app's own default unless BENCH_POOL_SIZE says otherwise; set explicitly so that the report states what ran.
    const poolSize = parseDatabaseEnv({ DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: process.env.BENCH_POOL_SIZE || undefined }).DATABASE_POOL_SIZE;
    const env = benchServerEnv({ databaseUrl, poolSize, stripeApiBase: emulator.url });
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

    const postmaster = postmasterPid(pgDataDir);
    let profiled: ProfiledServer | null = null;
    const roots = (): ProcessRoots => ({
      app: app.status().pid,
      baseline: baseline.status().pid,
      postgres: postmaster,
      emulator: emulator.pid,
      ...(profiled && { profiled: profiled.pid }),
    });
    const runner = new LoadRunner(options, roots);

    // Before any load, so that no request of another phase is still in flight while counting.
    const replayKey = randomUUID();
    const naiveReplayKey = randomUUID();
    await post(app.url, PAYMENTS, json, replayKey);
    await post(baseline.url, NAIVE_PAYMENTS, json, naiveReplayKey);
    log(`database round trips per request (pg_stat_statements, ${options.roundTripRequests} sequential requests each)`);
    const count = options.roundTripRequests;
    const roundTrips = await phase("roundTrips", async () =>
      classifyStatements({
        ours: {
          newPayment: await statementsPerRequest(stats, count, () => post(app.url, PAYMENTS, json, randomUUID())),
          replay: await statementsPerRequest(stats, count, () => post(app.url, PAYMENTS, json, replayKey)),
        },
        naive: {
          newPayment: await statementsPerRequest(stats, count, () => post(baseline.url, NAIVE_PAYMENTS, json, randomUUID())),
          replay: await statementsPerRequest(stats, count, () => post(baseline.url, NAIVE_PAYMENTS, json, naiveReplayKey)),
        },
        bare: await statementsPerRequest(stats, count, () => get(baseline.url, BARE, auth)),
      }),
    );

    const targets = {
      bare: { url: `${baseline.url}${BARE}`, headers: auth },
      ours: {
        newPayment: { url: `${app.url}${PAYMENTS}`, method: "POST" as const, headers: json, body: PAYMENT, uniqueKeys: true },
        replay: { url: `${app.url}${PAYMENTS}`, method: "POST" as const, headers: { ...json, "idempotency-key": replayKey }, body: PAYMENT },
      },
      naive: {
        newPayment: { url: `${baseline.url}${NAIVE_PAYMENTS}`, method: "POST" as const, headers: json, body: PAYMENT, uniqueKeys: true },
        replay: { url: `${baseline.url}${NAIVE_PAYMENTS}`, method: "POST" as const, headers: { ...json, "idempotency-key": naiveReplayKey }, body: PAYMENT },
      },
    };

    log("warming up");
    for (const target of [targets.bare, targets.ours.newPayment, targets.ours.replay, targets.naive.newPayment, targets.naive.replay]) {
      await runner.warmUp(target, 10);
    }

    log(`replay vs bare authenticated read (${BARE_CLIENTS} clients)`);
    const bareVsReplay = await phase("bareVsReplay", async () => ({
      clients: BARE_CLIENTS,
      bare: await runner.load(targets.bare, BARE_CLIENTS),
      replay: await runner.load(targets.ours.replay, BARE_CLIENTS),
    }));

    const matrix: MatrixCell[] = await phase("matrix", async () => {
      const cells: MatrixCell[] = [];
      for (const latencyMs of options.latenciesMs) {
        await emulator.admin.setFaults({ latencyMs });
        for (const clients of options.clients) {
          log(`Stripe ${latencyMs} ms, ${clients} clients: new payments and replays, ours and naive`);
          cells.push({
            latencyMs,
            clients,
            newPayments: { ours: await runner.load(targets.ours.newPayment, clients), naive: await runner.load(targets.naive.newPayment, clients) },
            replays: { ours: await runner.load(targets.ours.replay, clients), naive: await runner.load(targets.naive.replay, clients) },
          });
        }
      }
      return cells;
    });
    const sum = (pick: (cell: MatrixCell) => LoadResult) => sumWindows(matrix.map((cell) => pick(cell).cpu));
    const cpu: BenchReport["cpu"] = {
      newPayments: { ours: sum((c) => c.newPayments.ours), naive: sum((c) => c.newPayments.naive) },
      replays: { ours: sum((c) => c.replays.ours), naive: sum((c) => c.replays.naive) },
      bare: bareVsReplay.bare.cpu,
    };

    const stormLatencyMs = options.latenciesMs[0]!;
    await emulator.admin.setFaults({ latencyMs: stormLatencyMs });
    log(`same-key storm (100 concurrent, Prefer: wait=10) vs one request, Stripe ${stormLatencyMs} ms`);
    const single = await timed(() => post(app.url, PAYMENTS, json, randomUUID()));
    const stormKey = randomUUID();
    const storm = await Promise.all(
      Array.from({ length: 100 }, () => timed(() => post(app.url, PAYMENTS, { ...json, prefer: "wait=10" }, stormKey))),
    );
    const { rows: stormRows } = await stats.query<{ id: string }>("SELECT id::text FROM idempotency_keys WHERE key = $1", [stormKey]);
    const stormRowId = stormRows[0]?.id ?? "";
    const stormIntents = (await emulator.admin.paymentIntents({ idempotency_key_id: stormRowId })).length;

    let profile: ProfileSummary | null = null;
    if (options.profile) {
      profile = await phase("profile", async () => {
        const profileDir = path.join(PROFILES_DIR, new Date().toISOString().replace(/[:.]/g, "-"));
        await mkdir(profileDir, { recursive: true });
        const profilePort = await freePort();
        const server = new ProfiledServer(profilePort, { ...env, AUTH_URL: `http://127.0.0.1:${profilePort}` }, path.join(tmp, "profiled.log"), DIST_DIR, profileDir);
        log(`profile: the app's server under node --cpu-prof, ${options.profileClients} clients, Stripe ${stormLatencyMs} ms`);
        await server.start();
        profiled = server;
        cleanups.unshift(async () => server.killNow());
        const profiledTargets = {
          newPayment: { ...targets.ours.newPayment, url: `${server.url}${PAYMENTS}` },
          replay: { ...targets.ours.replay, url: `${server.url}${PAYMENTS}` },
        };
        await runner.warmUp(profiledTargets.newPayment, options.profileClients);
        await runner.warmUp(profiledTargets.replay, options.profileClients);
        const windows: ProfileWindowInput[] = [];
        for (const [name, target] of [["new payments", profiledTargets.newPayment], ["replays", profiledTargets.replay]] as const) {
          const result = await runner.load(target, options.profileClients);
          windows.push({
            name,
            clients: options.profileClients,
            startUs: result.startUs,
            endUs: result.endUs,
            requests: result.cpu.requests,
            processCpuMsPerRequest: result.cpu.processes.profiled?.msPerRequest ?? null,
          });
        }
        const file = await server.stop();
        profiled = null;
        log(`profile written to ${file}`);
        return summariseProfile(file, windows);
      });
    }

    let cleanup: BenchReport["cleanup"] = null;
    if (options.cleanupKeys > 0) {
      log(`cleanup of ${options.cleanupKeys.toLocaleString("en")} expired keys while replays keep coming (several minutes for 1,000,000)`);
      const { rows } = await stats.query<{ id: string }>("SELECT id::text FROM users WHERE email = 'bench@example.com'");
      cleanup = await phase("cleanup", () =>
        cleanupUnderLoad(stats, rows[0]!.id, databaseUrl, targets.ours.replay, options.cleanupKeys, options.cleanupFlags),
      );
    }

    const report: BenchReport = {
      date: new Date().toISOString(),
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      node: process.version,
      postgres: postgresVersion,
      clockTicksPerSecond: clockTicksPerSecond(),
      options: {
        argv: options.argv,
        quick: options.quick,
        durationSeconds: options.durationSeconds,
        measuredMs: measuredWindow(options.durationSeconds),
        latenciesMs: options.latenciesMs,
        clients: options.clients,
        roundTripRequests: options.roundTripRequests,
        poolSize,
      },
      cpu,
      matrix,
      roundTrips,
      bareVsReplay: { clients: bareVsReplay.clients, replay: strip(bareVsReplay.replay), bare: strip(bareVsReplay.bare) },
      storm: {
        latencyMs: stormLatencyMs,
        singleMs: single.ms,
        statuses: countBy(storm.map((s) => s.status)),
        p50Ms: percentile(storm.map((s) => s.ms), 50),
        p99Ms: percentile(storm.map((s) => s.ms), 99),
        maxMs: Math.max(...storm.map((s) => s.ms)),
        paymentIntents: stormIntents,
      },
      profile,
      cleanup,
      targets: [],
      phaseSeconds: seconds,
      totalSeconds: Math.round((Date.now() - started) / 1000),
    };
    report.matrix = report.matrix.map((cell) => ({
      ...cell,
      newPayments: { ours: strip(cell.newPayments.ours), naive: strip(cell.newPayments.naive) },
      replays: { ours: strip(cell.replays.ours), naive: strip(cell.replays.naive) },
    }));
    report.targets = evaluateTargets(report);
    await mkdir(options.outDir, { recursive: true });
    await writeFile(path.join(options.outDir, "benchmarks.json"), `${JSON.stringify(report, null, 2)}\n`);
    const markdown = renderReport(report);
    await writeFile(path.join(options.outDir, "BENCHMARKS.md"), markdown);
    log(`wrote ${options.outDir}/BENCHMARKS.md and ${options.outDir}/benchmarks.json in ${report.totalSeconds} s`);
    console.log(markdown.split("\n## How")[0]);
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
  }
}

type Target = {
  url: string;
  method?: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  /** A new Idempotency-Key on every request: each one is a new payment. */
  uniqueKeys?: boolean;
};

type TimedLoad = LoadResult & { startUs: number; endUs: number };

/**
 * Runs autocannon loads and reads the CPU counters of every process twice while each runs at
 * full concurrency: once its connections are open (a second in) and shortly before it stops.
 * The CPU between the two readings is divided by the responses received between them: in a
 * closed loop at a steady state the work in flight at both readings is alike, so none of it is
 * counted for a request that is not, and none of the start (connecting) or the end (autocannon
 * closes its connections on requests in flight, which the server may or may not finish).
 */
class LoadRunner {
  constructor(
    private readonly options: BenchOptions,
    private readonly roots: () => ProcessRoots,
  ) {}

  async warmUp(target: Target, connections: number): Promise<void> {
    const result = await this.autocannon(target, connections, this.options.warmupSeconds, () => {});
    await settle(this.settleMs(result.latency.max));
  }

  async load(target: Target, connections: number): Promise<TimedLoad> {
    const window = measuredWindow(this.options.durationSeconds);
    // Set by the timers below (a plain `null` initialiser would narrow them to null here).
    let before = null as CpuSnapshot | null;
    let after = null as CpuSnapshot | null;
    let [startUs, endUs, responses] = [0, 0, 0];
    let counting = false;
    const timers = [
      setTimeout(() => {
        before = snapshot(this.roots());
        startUs = nowUs();
        counting = true;
      }, window.fromMs),
      setTimeout(() => {
        counting = false;
        endUs = nowUs();
        after = snapshot(this.roots());
      }, window.toMs),
    ];
    const result = await this.autocannon(target, connections, this.options.durationSeconds, () => {
      if (counting) responses += 1;
    });
    timers.forEach(clearTimeout);
    if (!before || !after) throw new Error(`a load of ${this.options.durationSeconds} s ended before its measurement window did`);
    await settle(this.settleMs(result.latency.max));
    return {
      requestsPerSecond: Math.round(result.requests.average * 10) / 10,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      maxMs: result.latency.max,
      requests: result.requests.total,
      ok: result["2xx"],
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      seconds: result.duration,
      cpu: cpuWindow(before, after, responses),
      startUs,
      endUs,
    };
  }

  /** Long enough for the slowest request seen to have finished, had it just started. */
  private settleMs(maxLatencyMs: number): number {
    return Math.min(MAX_SETTLE_MS, Math.max(this.options.minSettleMs, maxLatencyMs * 1.2 + 500));
  }

  private autocannon(target: Target, connections: number, duration: number, onResponse: () => void): Promise<autocannon.Result> {
    return new Promise((resolve, reject) => {
      const instance = autocannon(
        {
          url: target.url,
          connections,
          duration,
          method: target.method ?? "GET",
          headers: target.headers,
          body: target.body,
          timeout: 30,
          ...(target.uniqueKeys && {
            requests: [
              {
                setupRequest: (request: autocannon.Request) => ({
                  ...request,
                  headers: { ...request.headers, "idempotency-key": randomUUID() },
                }),
              },
            ],
          }),
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
      instance.on("response", onResponse);
    });
  }
}

/** A load as the report keeps it: without the profiler's clock readings. */
function strip(load: LoadResult): LoadResult {
  const { startUs: _start, endUs: _end, ...rest } = load as TimedLoad;
  return rest;
}

async function post(baseUrl: string, route: string, headers: Record<string, string>, key: string): Promise<number> {
  const response = await fetch(`${baseUrl}${route}`, { method: "POST", headers: { ...headers, "idempotency-key": key }, body: PAYMENT });
  await response.arrayBuffer();
  return response.status;
}

async function get(baseUrl: string, route: string, headers: Record<string, string>): Promise<number> {
  const response = await fetch(`${baseUrl}${route}`, { headers });
  await response.arrayBuffer();
  return response.status;
}

type Sent = { statuses: Record<string, number>; statements: { queryId: string; query: string; calls: number }[] };

/** Statements sent per request over `count` sequential requests, as pg_stat_statements counted them. */
async function statementsPerRequest(stats: pg.Client, count: number, request: () => Promise<number>): Promise<Sent> {
  await stats.query("SELECT pg_stat_statements_reset()");
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push(await request());
  const { rows } = await stats.query<{ queryid: string; query: string; calls: string }>(
    `SELECT queryid::text, query, calls FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND query NOT ILIKE '%pg_stat_statements%'
     ORDER BY calls DESC, query`,
  );
  return { statuses: countBy(statuses), statements: rows.map((row) => ({ queryId: row.queryid, query: row.query, calls: Number(row.calls) / count })) };
}

/**
 * Every statement is a round trip, transaction control (BEGIN, COMMIT) included. Which are
 * authentication is read from the requests themselves: the statements that every kind of
 * request measured sent (ours and the baseline app's routes share nothing but the API-key
 * lookup), and any other that reads api_keys (a lookup folded into another statement).
 */
type SentByKind = { ours: { newPayment: Sent; replay: Sent }; naive: { newPayment: Sent; replay: Sent }; bare: Sent };

function classifyStatements(sent: SentByKind): BenchReport["roundTrips"] {
  const all = [sent.ours.newPayment, sent.ours.replay, sent.naive.newPayment, sent.naive.replay, sent.bare];
  const [first, ...rest] = all.map((s) => new Set(s.statements.map((statement) => statement.queryId)));
  const common = new Set([...(first ?? [])].filter((id) => rest.every((ids) => ids.has(id))));
  const classify = (s: Sent): RoundTrips => {
    const statements = s.statements.map((statement) => ({
      calls: statement.calls,
      query: summarise(statement.query),
      part: partOf(statement.query, common.has(statement.queryId)),
    }));
    const sum = (test: (part: string) => boolean) => round2(statements.filter((x) => test(x.part)).reduce((total, x) => total + x.calls, 0));
    return {
      perRequest: sum(() => true),
      authentication: sum((part) => part.startsWith("authentication")),
      transactionControl: sum((part) => part === "transaction control"),
      statuses: s.statuses,
      statements,
    };
  };
  return {
    ours: { newPayment: classify(sent.ours.newPayment), replay: classify(sent.ours.replay) },
    naive: { newPayment: classify(sent.naive.newPayment), replay: classify(sent.naive.replay) },
    bare: classify(sent.bare),
  };
}

function partOf(sql: string, sentByEveryRequest: boolean): RoundTrips["statements"][number]["part"] {
  const text = sql.replaceAll('"', "");
  if (/^\s*(BEGIN|COMMIT|ROLLBACK|START TRANSACTION|SET TRANSACTION|SAVEPOINT|RELEASE)\b/i.test(text)) return "transaction control";
  if (sentByEveryRequest) return "authentication";
  if (/\bapi_keys\b/i.test(text)) return /\b(idempotency_keys|rate_limit_windows|payments|refunds)\b/i.test(text) ? "authentication + work" : "authentication";
  return "work";
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

/** The postmaster's pid, as PostgreSQL wrote it into its data directory. */
function postmasterPid(dataDir: string): number {
  const pid = Number(readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no postmaster pid in ${dataDir}/postmaster.pid`);
  return pid;
}

function settle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** µs on the monotonic clock that V8's profiler stamps its samples with. */
function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** One line of a statement: Prisma's quoting and column lists shortened. */
function summarise(sql: string): string {
  const text = sql
    .replace(/\s+/g, " ")
    .trim()
    .replaceAll('"public".', "")
    .replaceAll('"', "")
    .replace(/^SELECT (.{30,}?) FROM /, "SELECT … FROM ")
    .replace(/^INSERT INTO (\S+) \((.{30,}?)\) VALUES /, "INSERT INTO $1 (…) VALUES ");
  return text.length > 90 ? `${text.slice(0, 89)}…` : text;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
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
