/**
 * `npm run cleanup`: delete expired idempotency keys in batches (src/server/ops).
 * Safe to run on a schedule, beside live traffic and beside another cleanup.
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { db } from "@/server/db";
import { cleanupExpiredKeys } from "@/server/ops/cleanup-expired-keys";
import { integerFlag } from "./lib/integer-flag";

const USAGE = `Usage: npm run cleanup -- [--batch-size N] [--max-batches N] [--dry-run]

Deletes expired, unlocked idempotency keys in batches of --batch-size (default 1000),
printing a line per batch and a summary. Payments are never deleted. Reads DATABASE_URL
(or .env).`;

async function main() {
  const { values } = parseArgs({
    options: {
      "batch-size": { type: "string", default: "1000" },
      "max-batches": { type: "string" },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const batchSize = integerFlag(values["batch-size"], "--batch-size", 1);
  const maxBatches = values["max-batches"] === undefined ? undefined : integerFlag(values["max-batches"], "--max-batches", 1);
  if (!process.env.DATABASE_URL && existsSync(".env")) process.loadEnvFile(".env");

  const summary = await cleanupExpiredKeys({
    batchSize,
    maxBatches,
    dryRun: values["dry-run"],
    onBatch: (b) => console.log(`batch ${b.number}: deleted ${b.deleted} (total ${b.total}) in ${b.ms} ms`),
  });
  const verb = summary.dryRun ? `dry run: would delete ${summary.remaining}` : `deleted ${summary.deleted}`;
  console.log(`${verb}; expired keys remaining: ${summary.remaining}; batches: ${summary.batches}; duration: ${summary.durationMs} ms`);
}

main()
  .catch((error: unknown) => {
    console.error(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => db().$disconnect());
