/**
 * `npm run reconcile`: resolve idempotency keys that crashed too long ago to re-drive
 * (src/server/ops/reconcile-stuck-keys.ts). Needs the app's environment (Stripe, database).
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { db } from "@/server/db";
import { reconcileStuckKeys } from "@/server/ops/reconcile-stuck-keys";
import { integerFlag } from "./lib/integer-flag";

const USAGE = `Usage: npm run reconcile -- [--older-than-seconds N] [--limit N]

Finds unfinished payment keys that no live request holds and that are older than
--older-than-seconds (default 82800, i.e. 23 h: past that Stripe may have forgotten its own
idempotency key), looks their PaymentIntent up in Stripe by metadata, and completes the key
(found) or forgets it (not found: nothing was charged). Reads the app's environment (.env).`;

async function main() {
  const { values } = parseArgs({
    options: {
      "older-than-seconds": { type: "string" },
      limit: { type: "string", default: "100" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (existsSync(".env")) process.loadEnvFile(".env");
  const olderThan = values["older-than-seconds"];
  const counts = await reconcileStuckKeys({
    olderThanSeconds: olderThan === undefined ? undefined : integerFlag(olderThan, "--older-than-seconds", 0),
    limit: integerFlag(values.limit, "--limit", 0),
    onKey: (r) => console.log(`${r.keyId}: ${r.outcome}${r.paymentIntentId ? ` (${r.paymentIntentId})` : ""}`),
  });
  console.log(`recovered ${counts.recovered}, released ${counts.released}, skipped ${counts.skipped}`);
}

main()
  .catch((error: unknown) => {
    console.error(`reconcile failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => db().$disconnect());
