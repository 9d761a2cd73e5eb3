/**
 * `npm run bench:scaling`: from one app instance to several behind PgBouncer, all on this
 * machine, and what each costs. Writes scaling.json and the part of SCALING.md between its
 * markers (docs/ unless --out or --quick; see ./scaling-report.ts for the options).
 *
 * One embedded PostgreSQL with max_connections 60, PgBouncer in transaction mode in front of it
 * (a server pool of 20), the Stripe emulator in a process of its own at a fixed latency; then,
 * for each instance count (1, 2, 4), that many production servers of the app (`next start` of a
 * build made as `npm run bench` makes its own: the app as users get it, no test hook in it),
 * each with DATABASE_POOL_SIZE 25 (4 × 25 > 60) and its DATABASE_URL through PgBouncer. The same
 * clients in all (100) spread round-robin over the instances make new payments for a fixed time
 * after a warm-up, and the bench reads:
 *
 * - payments/s, p50/p99 latency and statuses at the client (autocannon, in this process);
 * - statements, transactions and Stripe requests per payment, from counters read while nothing
 *   runs before and after each load (PgBouncer's SHOW STATS, pg_stat_database, the emulator's
 *   request counter), divided by the rows the payments table gained;
 * - peak connections, sampled during the load: SHOW POOLS, and PostgreSQL's backends;
 * - CPU per payment of each process group, from /proc (./process-cpu.ts, as `npm run bench`).
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import pg from "pg";
import { AppInstance } from "../lib/app-instance";
import { buildAppIfStale } from "../lib/build-app-if-stale";
import { runCommand } from "../lib/child-processes";
import { createApiKeyViaCli } from "../lib/create-api-key-via-cli";
import { ensureDatabase, freePort, startEmbeddedPostgres } from "../lib/embedded-postgres";
import { startPgBouncer } from "../lib/pgbouncer";
import { testHooksIn } from "../lib/test-hooks-in-build";
import { startEmulatorProcess } from "./emulator-process";
import { benchServerEnv } from "./server-env";
import { measuredWindow } from "./options";
import { clockTicksPerSecond, cpuWindow, snapshot, type CpuSnapshot, type ProcessRoots } from "./process-cpu";
import {
  countLogLines,
  groupCpu,
  MARKER_BEGIN,
  MARKER_END,
  parseScalingOptions,
  peakOf,
  percentile,
  perPayment,
  poolSample,
  renderScaling,
  replaceBetweenMarkers,
  SAMPLE_MS,
  SCALING_USAGE,
  STATS_QUIET_S,
  spreadClients,
  stripeLimits,
  type Counters,
  type PoolRow,
  type PoolSample,
  type ScalingCell,
  type ScalingOptions,
  type ScalingReport,
} from "./scaling-report";

/** A build of its own (made as `npm run bench` makes .next-bench), so that no other run rebuilds it under our servers. */
const DIST_DIR = ".next-bench-scaling";
const DATABASE = "bench";
const MAX_CONNECTIONS = 60;
const SERVER_POOL = 20;
const MAX_CLIENT_CONN = 200;
const APP_POOL_SIZE = 25;
const MONITOR = "scaling-monitor";
const PAYMENTS = "/api/payments";
const PAYMENT = JSON.stringify({ amount: 2_500, currency: "eur", paymentMethod: "pm_card_visa" });
/** A drain never waits longer than this for the requests in flight. */
const MAX_SETTLE_MS = 30_000;
/** Cores busy outside the run from which a load is said to have shared the machine. */
const BUSY_OTHER_CORES = 0.1;
/** How long the machine is watched before the run, s. */
const BEFORE_SECONDS = 5;
/**
 * The least quiet time before the counters are read: a PostgreSQL backend whose flush of its
 * counters met a lock held by another retries 10 s later (PGSTAT_IDLE_INTERVAL), so
 * pg_stat_database may lag the last transactions by up to 10 s.
 */
const STATS_FLUSH_MS = STATS_QUIET_S * 1000;

async function main() {
  const options = parseScalingOptions(process.argv.slice(2));
  if (!options) {
    process.stdout.write(`${SCALING_USAGE}\n`);
    return;
  }
  const started = Date.now();
  const command = `npm run bench:scaling${options.argv.length > 0 ? ` -- ${options.argv.join(" ")}` : ""}`;
  log(
    `${options.quick ? "quick run: " : ""}${options.instances.join(", ")} instance(s), ${options.clients} clients, ${options.durationSeconds} s loads, ` +
      `Stripe ${options.latencyMs} ms; results into ${options.outDir}/`,
  );

  const before = await machineBefore(BEFORE_SECONDS);
  log(`before the run: load average ${before.loadAverage.join(" / ")}; busiest other processes: ${before.busiest.map((p) => `${p.name} ${p.cores}`).join(", ") || "none"}`);

  await buildAppIfStale(DIST_DIR, log);
  const hooks = Object.keys(testHooksIn(DIST_DIR));
  if (hooks.length > 0) throw new Error(`${DIST_DIR}/ holds test hooks (${hooks.join(", ")}): not the app users get`);

  const tmp = await mkdtemp(path.join(os.tmpdir(), "payments-scaling-"));
  await chmod(tmp, 0o755);
  const cleanups: Array<() => Promise<unknown>> = [() => rm(tmp, { recursive: true, force: true })];
  const running = new Set<AppInstance>();
  process.once("exit", () => running.forEach((instance) => instance.killNow()));
  try {
    const pgDataDir = path.join(tmp, "pg");
    const database = await startEmbeddedPostgres({ dataDir: pgDataDir, ephemeral: true, maxConnections: MAX_CONNECTIONS });
    cleanups.unshift(() => database.stop());
    const emulator = await startEmulatorProcess(options.latencyMs);
    cleanups.unshift(() => emulator.stop());

    await ensureDatabase(database.adminUrl, DATABASE);
    const directUrl = database.urlFor(DATABASE);
    await runCommand("node_modules/.bin/prisma", ["migrate", "deploy"], { env: { ...process.env, DATABASE_URL: directUrl }, stdio: "ignore" });

    const warnings: string[] = [];
    let warningCount = 0;
    const bouncer = await startPgBouncer({
      upstream: database.adminUrl,
      poolMode: "transaction",
      defaultPoolSize: SERVER_POOL,
      maxClientConn: MAX_CLIENT_CONN,
      onLog: (line) => {
        if (!/\b(WARNING|ERROR|FATAL)\b/.test(line)) return;
        warningCount += 1;
        if (warnings.length < 20) warnings.push(anonymise(line));
      },
    });
    cleanups.unshift(() => bouncer.stop());
    const pgbouncerPid = bouncer.pid;
    const postmaster = Number(readFileSync(path.join(pgDataDir, "postmaster.pid"), "utf8").split("\n")[0]);

    // The bench's own readings go straight to PostgreSQL (never through PgBouncer, whose counters
    // are the app's alone); the one on the app's database reads the counters of that database.
    const benchMonitor = new pg.Client({ connectionString: directUrl, application_name: MONITOR });
    const clusterMonitor = new pg.Client({ connectionString: database.adminUrl, application_name: MONITOR });
    const bouncerAdmin = new pg.Client({ connectionString: bouncer.adminUrl });
    for (const client of [benchMonitor, clusterMonitor, bouncerAdmin]) {
      await client.connect();
      cleanups.unshift(() => client.end());
    }
    const setting = async (name: string) => String((await clusterMonitor.query(`SHOW ${name}`)).rows[0]?.[name] ?? "?");
    const maxConnections = Number(await setting("max_connections"));
    if (maxConnections !== MAX_CONNECTIONS) throw new Error(`PostgreSQL runs with max_connections ${maxConnections}, not ${MAX_CONNECTIONS}`);
    const postgresVersion = await setting("server_version");
    const pgbouncerVersion = String(Object.values((await bouncerAdmin.query("SHOW VERSION")).rows[0] ?? {})[0] ?? "?").replace(/^PgBouncer\s+/i, "");

    log(`${options.users} user(s), an API key each`);
    const keys: string[] = [];
    for (let i = 0; i < options.users; i += 2) {
      const batch = Array.from({ length: Math.min(2, options.users - i) }, (_, j) =>
        createApiKeyViaCli(`scaling-${i + j + 1}@example.com`, { DATABASE_URL: directUrl }, "scaling"),
      );
      keys.push(...(await Promise.all(batch)));
    }

    const readCounters = async (): Promise<Counters> => {
      const stats = (await bouncerAdmin.query<PoolRow>("SHOW STATS")).rows.find((row) => row.database === DATABASE);
      const { rows } = await benchMonitor.query<{ payments: string; commits: string; rollbacks: string }>(
        `SELECT (SELECT count(*) FROM payments)::text AS payments, xact_commit::text AS commits, xact_rollback::text AS rollbacks
         FROM pg_stat_database WHERE datname = current_database()`,
      );
      const stripe = await emulator.admin.stats();
      return {
        pgbouncer: { queries: Number(stats?.total_query_count ?? 0), transactions: Number(stats?.total_xact_count ?? 0) },
        postgres: { commits: Number(rows[0]?.commits ?? 0), rollbacks: Number(rows[0]?.rollbacks ?? 0), payments: Number(rows[0]?.payments ?? 0) },
        stripe: { requests: stripe.requests, byRoute: stripe.requestsByRoute, paymentIntents: stripe.paymentIntents },
      };
    };
    const sampleConnections = async (): Promise<{ pool: PoolSample | null; backends: number }> => {
      const pools = (await bouncerAdmin.query<PoolRow>("SHOW POOLS")).rows;
      const { rows } = await clusterMonitor.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND backend_type = 'client backend' AND application_name IS DISTINCT FROM $2`,
        [DATABASE, MONITOR],
      );
      return { pool: poolSample(pools, DATABASE), backends: rows[0]?.n ?? 0 };
    };

    const env = benchServerEnv({ databaseUrl: bouncer.urlFor(DATABASE), poolSize: APP_POOL_SIZE, stripeApiBase: emulator.url });

    const cells: ScalingCell[] = [];
    for (const count of options.instances) {
      log(`${count} instance(s): starting`);
      const instances: AppInstance[] = [];
      for (let i = 0; i < count; i++) {
        const port = await freePort();
        const logFile = path.join(tmp, `app-${count}-${i + 1}.log`);
        instances.push(new AppInstance(`app-${i + 1}`, port, { ...env, AUTH_URL: `http://127.0.0.1:${port}` }, logFile, DIST_DIR));
      }
      try {
        for (const instance of instances) {
          running.add(instance);
          await instance.start();
        }
        const shares = spreadClients(options.clients, count);
        const roots = (): ProcessRoots => ({
          ...Object.fromEntries(instances.map((instance) => [instance.name, instance.status().pid])),
          postgres: postmaster,
          pgbouncer: pgbouncerPid,
          emulator: emulator.pid,
        });
        const atStart = os.loadavg().map(round2);
        log(`${count} instance(s): ${options.warmupSeconds} s warm-up, then ${options.durationSeconds} s measured (${shares.join(" + ")} clients)`);
        const warm = await runLoad(instances, shares, keys, options.warmupSeconds, null);
        await settle(Math.max(STATS_FLUSH_MS, settleMs(options, warm.maxMs)));
        const countersBefore = await readCounters();
        const load = await runLoad(instances, shares, keys, options.durationSeconds, { roots, sample: sampleConnections });
        await settle(Math.max(STATS_FLUSH_MS, settleMs(options, load.maxMs)));
        const countersAfter = await readCounters();
        const atEnd = os.loadavg().map(round2);
        const window = load.window!;
        const cpu = cpuWindow(window.before, window.after, window.ok);
        const cell: ScalingCell = {
          instances: count,
          clientsPerInstance: shares,
          appPoolTotal: count * APP_POOL_SIZE,
          load: {
            seconds: options.durationSeconds,
            window: { ...measuredWindow(options.durationSeconds), ms: Math.round(window.ms) },
            paymentsPerSecond: Math.round((window.ok / (window.ms / 1000)) * 10) / 10,
            p50Ms: percentile(window.latencies, 50),
            p99Ms: percentile(window.latencies, 99),
            maxMs: Math.max(0, ...window.latencies),
            statuses: load.statuses,
            windowResponsesByInstance: window.byInstance,
            non2xx: Object.entries(load.statuses).reduce((sum, [status, n]) => sum + (status.startsWith("2") ? 0 : n), 0),
            errors: load.errors,
          },
          // The first reading's own statement is a commit PostgreSQL counts after it.
          perPayment: perPayment(countersBefore, countersAfter, 1),
          connections: {
            pgbouncerPeak: peakOf(window.samples.flatMap((s) => (s.pool ? [s.pool] : []))),
            postgresBackendsPeak: Math.max(0, ...window.samples.map((s) => s.backends)),
            samples: window.samples.length,
          },
          cpu: groupCpu(cpu),
          cpuWindow: cpu,
          loadAverage: { atStart, atEnd },
          appLogLines: { aborted: 0, warn: 0, error: 0, samples: [] },
        };
        cells.push(cell);
        log(
          `${count} instance(s): ${cell.load.paymentsPerSecond} payments/s, p50 ${Math.round(cell.load.p50Ms)} ms, p99 ${Math.round(cell.load.p99Ms)} ms, ` +
            `statuses ${JSON.stringify(cell.load.statuses)}, errors ${cell.load.errors}; ${cell.perPayment.pgbouncerQueries} queries, ` +
            `${cell.perPayment.stripeRequests} Stripe requests per payment; ${cell.cpu.total.msPerPayment} ms CPU per payment, ` +
            `${cell.cpu.total.cores} cores ours, ${cpu.machine.otherCores} others`,
        );
      } finally {
        for (const instance of instances) {
          await instance.stop();
          running.delete(instance);
        }
      }
      cells[cells.length - 1]!.appLogLines = await appLogLines(instances.map((_, i) => path.join(tmp, `app-${count}-${i + 1}.log`)));
    }

    const report: ScalingReport = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model ?? "cpu",
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        postgres: postgresVersion,
        pgbouncer: pgbouncerVersion,
      },
      git: gitState(),
      command,
      options: {
        quick: options.quick,
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        clients: options.clients,
        latencyMs: options.latencyMs,
        instances: options.instances,
        users: options.users,
        outDir: options.outDir,
        argv: options.argv,
      },
      setup: {
        maxConnections,
        pgbouncer: { poolMode: "transaction", defaultPoolSize: SERVER_POOL, maxClientConn: MAX_CLIENT_CONN },
        appPoolSize: APP_POOL_SIZE,
        stripeLatencyMs: options.latencyMs,
        users: options.users,
      },
      before,
      cells,
      pgbouncerWarnings: { count: warningCount, lines: warnings },
      stripeLimits: stripeLimits(cells.map((c) => c.perPayment)),
      totalSeconds: Math.round((Date.now() - started) / 1000),
    };
    await writeResults(options, report);
    const busy = cells.filter((c) => c.cpuWindow.machine.otherCores >= BUSY_OTHER_CORES);
    if (busy.length > 0) {
      log(
        `other processes kept ${busy.map((c) => `${c.cpuWindow.machine.otherCores} cores busy during the ${c.instances}-instance load`).join(", ")}: ` +
          `its throughput shared the machine with them; rerun when the machine is quiet`,
      );
    }
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
  }
}

type Measuring = {
  roots: () => ProcessRoots;
  sample: () => Promise<{ pool: PoolSample | null; backends: number }>;
};

type LoadOutcome = {
  statuses: Record<string, number>;
  errors: number;
  maxMs: number;
  /** The measured part of the load: null for a warm-up. */
  window: {
    before: CpuSnapshot;
    after: CpuSnapshot;
    ms: number;
    /** 2xx responses between the two readings. */
    ok: number;
    latencies: number[];
    byInstance: number[];
    samples: { pool: PoolSample | null; backends: number }[];
  } | null;
};

/**
 * One autocannon per instance, all at once, its share of the clients each: every request a new
 * payment (a fresh Idempotency-Key) of the next user in turn. When measuring, the CPU counters are
 * read at the start and the end of the measured window (./options.ts measuredWindow), the
 * responses in between counted with their latencies, and the connections sampled all along.
 */
async function runLoad(instances: AppInstance[], shares: number[], keys: string[], seconds: number, measuring: Measuring | null): Promise<LoadOutcome> {
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const byInstance = instances.map(() => 0);
  const samples: { pool: PoolSample | null; backends: number }[] = [];
  let [counting, ok, next] = [false, 0, 0];
  let before = null as CpuSnapshot | null;
  let after = null as CpuSnapshot | null;
  const timers: NodeJS.Timeout[] = [];
  let sampling = true;
  let sampler: Promise<void> = Promise.resolve();
  if (measuring) {
    const window = measuredWindow(seconds);
    timers.push(
      setTimeout(() => {
        before = snapshot(measuring.roots());
        counting = true;
      }, window.fromMs),
      setTimeout(() => {
        counting = false;
        after = snapshot(measuring.roots());
      }, window.toMs),
    );
    sampler = (async () => {
      while (sampling) {
        const at = Date.now();
        samples.push(await measuring.sample());
        await settle(Math.max(0, SAMPLE_MS - (Date.now() - at)));
      }
    })();
  }
  const runs = instances.map(
    (instance, i) =>
      new Promise<autocannon.Result>((resolve, reject) => {
        const run = autocannon(
          {
            url: `${instance.url}${PAYMENTS}`,
            connections: shares[i]!,
            duration: seconds,
            method: "POST",
            headers: { "content-type": "application/json" },
            body: PAYMENT,
            timeout: 30,
            requests: [
              {
                setupRequest: (request: autocannon.Request) => ({
                  ...request,
                  headers: { ...request.headers, authorization: `Bearer ${keys[next++ % keys.length]!}`, "idempotency-key": randomUUID() },
                }),
              },
            ],
          },
          (error, result) => (error ? reject(error) : resolve(result)),
        );
        run.on("response", (_client, statusCode, _bytes, responseTime) => {
          statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
          if (!counting) return;
          byInstance[i]! += 1;
          if (statusCode >= 200 && statusCode < 300) {
            ok += 1;
            latencies.push(responseTime);
          }
        });
      }),
  );
  let results: autocannon.Result[];
  try {
    results = await Promise.all(runs);
  } finally {
    timers.forEach(clearTimeout);
    sampling = false;
    await sampler;
  }
  const maxMs = Math.max(0, ...results.map((result) => result.latency.max));
  const errors = results.reduce((sum, result) => sum + result.errors, 0);
  if (!measuring) return { statuses, errors, maxMs, window: null };
  if (!before || !after) throw new Error(`a load of ${seconds} s ended before its measurement window did`);
  const [b, a] = [before as CpuSnapshot, after as CpuSnapshot];
  return { statuses, errors, maxMs, window: { before: b, after: a, ms: a.atMs - b.atMs, ok, latencies, byInstance, samples } };
}

/** Long enough for the slowest request seen to have finished, had it just started, and for PostgreSQL to flush its counters. */
function settleMs(options: ScalingOptions, maxLatencyMs: number): number {
  return Math.min(MAX_SETTLE_MS, Math.max(options.minSettleMs, maxLatencyMs * 1.2 + 500));
}

async function writeResults(options: ScalingOptions, report: ScalingReport): Promise<void> {
  await mkdir(options.outDir, { recursive: true });
  const json = path.join(options.outDir, "scaling.json");
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  const markdown = path.join(options.outDir, "SCALING.md");
  const generated = renderScaling(report);
  // Read just before writing: the prose around the markers is someone else's, kept as it is.
  const current = existsSync(markdown) ? await readFile(markdown, "utf8") : `# Scaling\n\n${MARKER_BEGIN}\n${MARKER_END}\n`;
  await writeFile(markdown, replaceBetweenMarkers(current, generated));
  log(`wrote ${json} and the measured part of ${markdown} in ${report.totalSeconds} s`);
  console.log(generated);
}

/** The machine before the run: load average, and the busiest processes over `seconds` (by their name, no path). */
async function machineBefore(seconds: number): Promise<ScalingReport["before"]> {
  const first = ownTicks();
  await settle(seconds * 1000);
  const second = ownTicks();
  const cores = new Map<string, number>();
  const perTick = 1 / clockTicksPerSecond() / seconds;
  for (const [pid, now] of second) {
    if (pid === process.pid) continue;
    const was = first.get(pid);
    const ticks = now.ticks - (was?.ticks ?? now.ticks);
    if (ticks > 0) cores.set(now.name, (cores.get(now.name) ?? 0) + ticks * perTick);
  }
  const busiest = [...cores.entries()]
    .map(([name, value]) => ({ name, cores: round2(value) }))
    .filter((p) => p.cores >= 0.05)
    .sort((a, b) => b.cores - a.cores)
    .slice(0, 5);
  return { loadAverage: os.loadavg().map(round2), busiest, seconds };
}

/** utime + stime of every process, with a name: its command, and for Node.js the package it runs (`node (vitest)`). */
function ownTicks(): Map<number, { name: string; ticks: number }> {
  const result = new Map<number, { name: string; ticks: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const open = stat.indexOf("(");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(open + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      const ticks = Number(fields[11]) + Number(fields[12]);
      // Next.js names its server "next-server (v16…)", cut to 15 characters.
      let name = comm.replace(/\s*\(.*$/, "");
      if (comm === "node" || comm.startsWith("MainThread")) {
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
        const pkg = /node_modules\/(?:\.bin\/)?((?:@[^/\0]+\/)?[^/\0]+)/.exec(cmdline)?.[1];
        name = pkg ? `node (${pkg})` : "node";
      }
      if (Number.isFinite(ticks)) result.set(Number(entry), { name, ticks });
    } catch {
      // exited meanwhile
    }
  }
  return result;
}

/** What the servers logged at warn (40) or error (50) and above, from their log files. */
async function appLogLines(files: string[]): Promise<ScalingCell["appLogLines"]> {
  const texts = await Promise.all(files.map(async (file) => (existsSync(file) ? await readFile(file, "utf8") : "")));
  const counted = countLogLines(texts.join("\n"));
  return { ...counted, samples: counted.samples.map(anonymise) };
}

/** The commit and whether the working tree differs from it; read only (no index refresh). */
function gitState(): ScalingReport["git"] {
  try {
    const env = { ...process.env, GIT_OPTIONAL_LOCKS: "0" };
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", env }).trim();
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8", env }).trim();
    return { commit, uncommittedChanges: status.length > 0 };
  } catch {
    return null;
  }
}

/** No path of this machine in what the report keeps. */
function anonymise(text: string): string {
  return text.replaceAll(process.cwd(), ".").replaceAll(os.tmpdir(), "$TMPDIR").replaceAll(os.homedir(), "~");
}

function settle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function log(message: string) {
  process.stderr.write(`[bench:scaling] ${message}\n`);
}

// Exit explicitly: embedded-postgres hooks `beforeExit` and would turn a failure into exit 0.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

