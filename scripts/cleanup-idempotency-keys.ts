/**
 * `npm run cleanup`: delete expired idempotency keys in batches (src/server/ops).
 * Safe to run on a schedule, beside live traffic and beside another cleanup.
 */
import { parseArgs } from "node:util";
import { parseDatabaseEnv } from "@/env";
import { disconnect } from "@/server/db";
import { CLEANUP_DEFAULTS, cleanupExpiredKeys } from "@/server/ops/cleanup-expired-keys";
import { CliConfig } from "./lib/cli-config";
import { integerFlag } from "./lib/integer-flag";

const USAGE = `Usage: npm run cleanup -- [--batch-size N] [--min-batch-size N] [--target-batch-ms N]
                           [--max-duty PERCENT] [--max-batches N] [--max-seconds N] [--dry-run]

Deletes expired, unlocked idempotency keys in batches, printing a line per batch and a
summary. Payments are never deleted. Reads DATABASE_URL from the environment or the .env
files (.env.development.local, written by npm run dev, included).

Paced so that live traffic does not feel it:
  --batch-size N        the first and largest batch (default ${CLEANUP_DEFAULTS.batchSize})
  --min-batch-size N    the smallest batch (default ${CLEANUP_DEFAULTS.minBatchSize})
  --target-batch-ms N   the size follows this statement time: smaller after a slower batch,
                        larger after a faster one, at most 2x per batch (default ${CLEANUP_DEFAULTS.targetBatchMs})
  --max-duty PERCENT    the share of wall time spent deleting: after a batch of t ms, a pause
                        of t x (100 - PERCENT) / PERCENT ms (default ${CLEANUP_DEFAULTS.maxDuty * 100}; 100 = no pauses)
  --max-batches N       stop after N batches
  --max-seconds N       start no batch after N seconds`;

async function main() {
  const { values } = parseArgs({
    options: {
      "batch-size": { type: "string" },
      "min-batch-size": { type: "string" },
      "target-batch-ms": { type: "string" },
      "max-duty": { type: "string" },
      "max-batches": { type: "string" },
      "max-seconds": { type: "string" },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  // Unset flags stay undefined: the defaults are CLEANUP_DEFAULTS, in one place.
  const positive = (value: string | undefined, flag: string) => (value === undefined ? undefined : integerFlag(value, flag, 1));
  const pacing = {
    batchSize: positive(values["batch-size"], "--batch-size"),
    minBatchSize: positive(values["min-batch-size"], "--min-batch-size"),
    targetBatchMs: positive(values["target-batch-ms"], "--target-batch-ms"),
    maxDuty: values["max-duty"] === undefined ? undefined : percentFlag(values["max-duty"], "--max-duty") / 100,
  };
  const maxBatches = positive(values["max-batches"], "--max-batches");
  const maxSeconds = positive(values["max-seconds"], "--max-seconds");
  const config = new CliConfig("cleanup");
  config.require("DATABASE_URL");
  config.validate(() => parseDatabaseEnv(process.env));
  await config.requireDatabase();

  try {
    const summary = await cleanupExpiredKeys({
      ...pacing,
      maxBatches,
      maxDurationMs: maxSeconds === undefined ? undefined : maxSeconds * 1_000,
      dryRun: values["dry-run"],
      onBatch: (b) => console.log(`batch ${b.number}: deleted ${b.deleted} (total ${b.total}) in ${b.ms} ms`),
    });
    const verb = summary.dryRun ? `dry run: would delete ${summary.remaining}` : `deleted ${summary.deleted}`;
    console.log(`${verb}; expired keys remaining: ${summary.remaining}; batches: ${summary.batches}; duration: ${summary.durationMs} ms (paused ${summary.pausedMs} ms)`);
  } finally {
    await disconnect();
  }
}

/** A percentage in (0, 100], or an error naming the flag. */
function percentFlag(value: string, flag: string): number {
  const number = Number(value);
  if (!(value.trim() !== "" && number > 0 && number <= 100)) throw new Error(`${flag} must be a percentage in (0, 100], got "${value}"`);
  return number;
}

main().catch((error: unknown) => {
  console.error(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
