import { parseArgs } from "node:util";
import { integerFlag } from "../lib/integer-flag";

export const USAGE = `npm run bench -- [options]

  --quick                 A smoke run of a few minutes: 2 s loads, 10 requests per round-trip count,
                          10,000 keys for the cleanup; writes to bench-results/quick/
  --profile               Also profile the app's server (node --cpu-prof) under a new-payment and a replay load
  --out <dir>             Where BENCHMARKS.md and benchmarks.json go          [default docs/, with --quick bench-results/quick/]
  --duration <s>          Seconds of each load                               [env BENCH_DURATION_SECONDS; default 15, with --quick 2]
  --latencies <ms,…>      Stripe latencies of the matrix                     [default 150,300]
  --clients <n,…>         Client counts of the matrix                        [default 10,50,100]
  --profile-clients <n>   Clients of the profiled loads                      [default 50]
  --cleanup-keys <n>      Expired keys for the cleanup under load, 0 skips it [env BENCH_CLEANUP_KEYS; default 1000000, with --quick 10000]
  -h, --help

BENCH_CLEANUP_FLAGS='--max-duty 20' passes flags to npm run cleanup in the cleanup run; BENCH_POOL_SIZE sets
both servers' DATABASE_POOL_SIZE (default: the app's own default).`;

export type BenchOptions = {
  quick: boolean;
  profile: boolean;
  outDir: string;
  durationSeconds: number;
  warmupSeconds: number;
  latenciesMs: number[];
  clients: number[];
  profileClients: number;
  /** Sequential requests of each kind whose statements are counted. */
  roundTripRequests: number;
  /** The least pause after a load for the requests in flight to finish, before its CPU is read. */
  minSettleMs: number;
  cleanupKeys: number;
  cleanupFlags: string[];
  /** The command line as given, for the report. */
  argv: string[];
};

/**
 * The part of each load whose CPU is counted: from its first second (its connections open) to
 * its last half-second (shorter for loads under 5 s: from a fifth in, to a tenth before the end).
 */
export function measuredWindow(durationSeconds: number): { fromMs: number; toMs: number } {
  const durationMs = durationSeconds * 1000;
  return { fromMs: Math.min(1_000, durationMs * 0.2), toMs: durationMs - Math.min(500, durationMs * 0.1) };
}

export function parseOptions(argv: string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean" },
      profile: { type: "boolean" },
      out: { type: "string" },
      duration: { type: "string" },
      latencies: { type: "string" },
      clients: { type: "string" },
      "profile-clients": { type: "string" },
      "cleanup-keys": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return null;
  const quick = values.quick ?? false;
  const env = (name: string) => process.env[name] || undefined;
  const list = (value: string, flag: string) => value.split(",").map((item) => integerFlag(item.trim(), flag, 1));
  const duration = values.duration ?? env("BENCH_DURATION_SECONDS");
  const cleanupKeys = values["cleanup-keys"] ?? env("BENCH_CLEANUP_KEYS");
  return {
    quick,
    profile: values.profile ?? false,
    outDir: values.out ?? (quick ? "bench-results/quick" : "docs"),
    durationSeconds: duration === undefined ? (quick ? 2 : 15) : integerFlag(duration, "--duration", 1),
    warmupSeconds: quick ? 1 : 2,
    latenciesMs: values.latencies ? list(values.latencies, "--latencies") : [150, 300],
    clients: values.clients ? list(values.clients, "--clients") : [10, 50, 100],
    profileClients: values["profile-clients"] ? integerFlag(values["profile-clients"], "--profile-clients", 1) : 50,
    roundTripRequests: quick ? 10 : 50,
    minSettleMs: quick ? 1_000 : 3_000,
    cleanupKeys: cleanupKeys === undefined ? (quick ? 10_000 : 1_000_000) : integerFlag(cleanupKeys, "--cleanup-keys", 0),
    cleanupFlags: (env("BENCH_CLEANUP_FLAGS") ?? "").split(/\s+/).filter(Boolean),
    argv,
  };
}
