import { spawn } from "node:child_process";
import autocannon from "autocannon";
import type pg from "pg";

type Latency = {
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Each window's own p99, in order. */
  windowP99Ms: number[];
  non2xx: number;
  errors: number;
};

export type CleanupUnderLoad = {
  seeded: number;
  seedSeconds: number;
  /** The whole measurement after the seed: windows without, cleanup runs and their start-ups. */
  phaseSeconds: number;
  clients: number;
  /** Each window of replays without a cleanup, and each cleanup run's `--max-seconds`. */
  withoutWindowSeconds: number;
  runSeconds: number;
  /** `npm run cleanup` as run, after `--`, less `--max-seconds`: empty for its own (paced) defaults. */
  flags: string[];
  /** Cleanup runs until no expired key was left, and the sums of their summary lines. */
  runs: number;
  deleted: number;
  remaining: number;
  durationMs: number;
  pausedMs: number;
  batches: number;
  /** Keys per batch and statement ms per batch: [smallest, median, largest]. */
  batchSizes: [number, number, number];
  batchMs: [number, number, number];
  summaries: string[];
  /** Autovacuum passes over idempotency_keys while this ran. */
  autovacuums: number;
  without: Latency;
  during: Latency;
  /** Replays' p99 during the cleanup against without it, in percent (the goal: ≤ 10). */
  p99ChangePercent: number;
};

type Target = { url: string; headers: Record<string, string>; body: string };
type Phase = "without" | "during";

const CLIENTS = 20;
const WITHOUT_SECONDS = 10;
const RUN_SECONDS = 30;
/** Bounds the phase whatever the pacing: at most this many cleanup runs. */
const MAX_RUNS = 40;

/**
 * Issue 9's acceptance run: seed `count` expired keys, then `npm run cleanup` deletes them in
 * batches while 20 clients keep replaying a payment, and the replays' latency during the
 * cleanup is compared with their latency without it.
 *
 * On a shared machine one window's p99 differs from the next by more than the 10 % asked
 * for, with no cleanup at all (the report shows each window's), and the app keeps warming up.
 * So the two are interleaved under
 * one continuous load: 10 s without, a cleanup run of at most 30 s (`--max-seconds`), 10 s
 * without, … until no expired key is left, and each side's p50 and p99 are taken over all of
 * its windows. A run's start-up (tsx, Prisma) until its first batch counts on neither side:
 * one long run pays it once.
 */
export async function cleanupUnderLoad(
  stats: pg.Client,
  userId: string,
  databaseUrl: string,
  target: Target,
  count: number,
  flags: string[] = [],
): Promise<CleanupUnderLoad> {
  const started = performance.now();
  await stats.query(
    `INSERT INTO idempotency_keys (id, user_id, key, method, path, request_hash, recovery_point, response_status,
       response_body, created_at, expires_at)
     SELECT gen_random_uuid(), $1::uuid, 'expired-' || n, 'POST', '/api/payments', repeat('a', 64), 'finished', 201,
       '{}'::json, now() - interval '2 days', now() - interval '1 day'
     FROM generate_series(1, $2::int) AS n`,
    [userId, count],
  );
  // Keys that expire over a day are vacuumed and checkpointed along the way; a million inserted
  // at once are not, and autovacuum's pass over the inserts would land in the windows measured.
  await stats.query("VACUUM (ANALYZE) idempotency_keys");
  await stats.query("CHECKPOINT");
  const seedSeconds = (performance.now() - started) / 1000;
  const autovacuumsBefore = await autovacuumCount(stats);
  const phaseStarted = performance.now();

  const samples = { without: new Recorder(), during: new Recorder() };
  let phase: Phase | null = null;
  let finished: (error: unknown) => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    finished = (error) => (error ? reject(error) : resolve());
  });
  const instance = autocannon(
    { url: target.url, method: "POST", headers: target.headers, body: target.body, timeout: 30, connections: CLIENTS, duration: 3_600 },
    (error) => finished(error),
  );
  instance.on("response", (_client, status, _bytes, ms) => {
    if (phase) samples[phase].response(status, ms);
  });
  instance.on("reqError", () => {
    if (phase) samples[phase].error();
  });
  const measure = (next: Phase | null) => {
    if (phase) samples[phase].stop();
    phase = next;
    if (phase) samples[phase].start();
  };

  const summaries: string[] = [];
  const batches: { size: number; ms: number }[] = [];
  let remaining = count;
  try {
    await wait(2_000); // connections opened, not measured
    while (remaining > 0) {
      if (summaries.length === MAX_RUNS) throw new Error(`${MAX_RUNS} cleanup runs left ${remaining} expired keys`);
      measure("without");
      await wait(WITHOUT_SECONDS * 1000);
      measure(null);
      const output = await runCleanup(databaseUrl, [...flags, "--max-seconds", String(RUN_SECONDS)], () => measure("during"));
      measure(null);
      const run = parseRun(output);
      if (run.summary.deleted === 0) throw new Error(`a cleanup run deleted nothing with ${remaining} expired keys left`);
      summaries.push(run.line);
      batches.push(...run.batches);
      remaining = run.summary.remaining;
    }
    measure("without");
    await wait(WITHOUT_SECONDS * 1000);
    measure(null);
  } finally {
    instance.stop();
    await done;
  }

  const totals = summaries.map(parseSummary).reduce((sum, s) => ({
    deleted: sum.deleted + s.deleted,
    durationMs: sum.durationMs + s.durationMs,
    pausedMs: sum.pausedMs + s.pausedMs,
  }), { deleted: 0, durationMs: 0, pausedMs: 0 });
  const without = samples.without.latency();
  const during = samples.during.latency();
  return {
    seeded: count,
    seedSeconds: round(seedSeconds),
    phaseSeconds: Math.round((performance.now() - phaseStarted) / 1000),
    clients: CLIENTS,
    withoutWindowSeconds: WITHOUT_SECONDS,
    runSeconds: RUN_SECONDS,
    flags,
    runs: summaries.length,
    ...totals,
    remaining,
    batches: batches.length,
    batchSizes: spread(batches.map((b) => b.size)),
    batchMs: spread(batches.map((b) => b.ms)),
    summaries,
    autovacuums: (await autovacuumCount(stats)) - autovacuumsBefore,
    without,
    during,
    p99ChangePercent: round(((during.p99Ms - without.p99Ms) / without.p99Ms) * 100),
  };
}

/** One side's replays: latencies of the responses it saw, over the windows it was measured. */
class Recorder {
  private readonly ms: number[] = [];
  private readonly windowP99Ms: number[] = [];
  private non2xx = 0;
  private errors = 0;
  private elapsed = 0;
  private since = 0;
  private windowStart = 0;

  start() {
    this.since = performance.now();
    this.windowStart = this.ms.length;
  }
  stop() {
    this.elapsed += performance.now() - this.since;
    if (this.ms.length > this.windowStart) this.windowP99Ms.push(percentile(this.ms.slice(this.windowStart), 0.99));
  }
  response(status: number, ms: number) {
    this.ms.push(ms);
    if (status < 200 || status > 299) this.non2xx += 1;
  }
  error() {
    this.errors += 1;
  }
  latency(): Latency {
    const seconds = this.elapsed / 1000;
    return {
      seconds: Math.round(seconds),
      requests: this.ms.length,
      requestsPerSecond: round(this.ms.length / seconds),
      p50Ms: percentile(this.ms, 0.5),
      p99Ms: percentile(this.ms, 0.99),
      windowP99Ms: this.windowP99Ms,
      non2xx: this.non2xx,
      errors: this.errors,
    };
  }
}

/** Nearest rank, in whole ms as autocannon reports them. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);
}

/** `npm run cleanup -- …`; `onFirstBatch` once its start-up is over. */
function runCleanup(databaseUrl: string, args: string[], onFirstBatch: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "cleanup", "--", ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      if (output === "") onFirstBatch();
      output += chunk.toString("utf8");
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`npm run cleanup exited with ${code}`));
      const summary = output.trimEnd().split("\n").at(-1) ?? "";
      process.stderr.write(`[bench]   ${summary}\n`);
      resolve(output);
    });
  });
}

function parseRun(output: string) {
  const lines = output.trim().split("\n");
  const line = lines.at(-1) ?? "";
  const batches = lines.flatMap((l) => {
    const match = /^batch \d+: deleted (\d+) \(total \d+\) in (\d+) ms$/.exec(l);
    return match ? [{ size: Number(match[1]), ms: Number(match[2]) }] : [];
  });
  return { line, batches, summary: parseSummary(line) };
}

function parseSummary(line: string) {
  const match = /^deleted (\d+); expired keys remaining: (\d+); batches: \d+; duration: (\d+) ms \(paused (\d+) ms\)$/.exec(line);
  if (!match) throw new Error(`npm run cleanup ended with an unexpected summary: ${line}`);
  const [deleted, remaining, durationMs, pausedMs] = match.slice(1).map(Number) as [number, number, number, number];
  return { deleted, remaining, durationMs, pausedMs };
}

async function autovacuumCount(stats: pg.Client): Promise<number> {
  const { rows } = await stats.query<{ count: string }>("SELECT autovacuum_count AS count FROM pg_stat_user_tables WHERE relname = 'idempotency_keys'");
  return Number(rows[0]?.count ?? 0);
}

/** [smallest, median, largest]; zeros when there is nothing. */
function spread(values: number[]): [number, number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  return [sorted[0] ?? 0, sorted[Math.floor(sorted.length / 2)] ?? 0, sorted.at(-1) ?? 0];
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
