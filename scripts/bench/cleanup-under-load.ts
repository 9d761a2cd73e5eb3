import { spawn } from "node:child_process";
import autocannon from "autocannon";
import type pg from "pg";

export type CleanupUnderLoad = {
  seeded: number;
  seedSeconds: number;
  cleanupSeconds: number;
  batches: number;
  summary: string;
  before: { requestsPerSecond: number; p50Ms: number; p99Ms: number };
  during: { requestsPerSecond: number; p50Ms: number; p99Ms: number; non2xx: number; errors: number };
};

type Target = { url: string; headers: Record<string, string>; body: string };

/**
 * Issue 9's acceptance run: seed `count` expired keys, then `npm run cleanup` deletes them in
 * batches while replays keep hitting the API; the API's latency before and during is compared.
 */
export async function cleanupUnderLoad(
  stats: pg.Client,
  userId: string,
  databaseUrl: string,
  target: Target,
  count: number,
): Promise<CleanupUnderLoad> {
  let started = performance.now();
  await stats.query(
    `INSERT INTO idempotency_keys (id, user_id, key, method, path, request_hash, recovery_point, response_status,
       response_body, created_at, expires_at)
     SELECT gen_random_uuid(), $1::uuid, 'expired-' || n, 'POST', '/api/payments', repeat('a', 64), 'finished', 201,
       '{}'::json, now() - interval '2 days', now() - interval '1 day'
     FROM generate_series(1, $2::int) AS n`,
    [userId, count],
  );
  await stats.query("ANALYZE idempotency_keys");
  const seedSeconds = (performance.now() - started) / 1000;

  const before = summarise(await autocannon({ ...request(target), connections: 20, duration: 5 }));

  let finishLoad: (() => void) | undefined;
  const during = new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ ...request(target), connections: 20, duration: 600 }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
    finishLoad = () => instance.stop();
  });
  started = performance.now();
  const output = await runCleanup(databaseUrl);
  const cleanupSeconds = (performance.now() - started) / 1000;
  finishLoad?.();
  const load = await during;

  const lines = output.trim().split("\n");
  return {
    seeded: count,
    seedSeconds: round(seedSeconds),
    cleanupSeconds: round(cleanupSeconds),
    batches: lines.filter((line) => line.startsWith("batch ")).length,
    summary: lines.at(-1) ?? "",
    before,
    during: { ...summarise(load), non2xx: load.non2xx, errors: load.errors + load.timeouts },
  };
}

function request(target: Target): autocannon.Options {
  return { url: target.url, method: "POST", headers: target.headers, body: target.body, timeout: 30 };
}

function summarise(result: autocannon.Result) {
  return { requestsPerSecond: round(result.requests.average), p50Ms: result.latency.p50, p99Ms: result.latency.p99 };
}

function runCleanup(databaseUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "cleanup", "--", "--batch-size", "1000"], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      // Visible progress: the batch lines, throttled to one in 100.
      const last = output.trimEnd().split("\n").at(-1) ?? "";
      if (/^batch \d*00:/.test(last)) process.stderr.write(`[bench]   ${last}\n`);
    });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(output) : reject(new Error(`npm run cleanup exited with ${code}`))));
  });
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
