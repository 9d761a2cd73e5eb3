/**
 * `npm run reconcile`: finish idempotency keys that no client retry will finish
 * (src/server/ops/reconcile-stuck-keys.ts). Needs the app's environment (Stripe, database).
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { db } from "@/server/db";
import { reconcileStuckKeys } from "@/server/ops/reconcile-stuck-keys";
import { integerFlag } from "./lib/integer-flag";

const USAGE = `Usage: npm run reconcile -- [--older-than-seconds N] [--limit N]

Finishes the idempotency keys (payments and refunds) that no client retry will finish and
no live request holds: every key flagged for reconciliation (its outcome could not be
recorded, or it failed for good), and every other unfinished key older than
--older-than-seconds (default 82800, i.e. 23 h: past that Stripe may have forgotten its own
idempotency key). Each is looked up in Stripe (by id, or by the metadata the app put on the
PaymentIntent or refund) and recorded (found) or forgotten (not found: nothing happened).
Exits 1 if a key is still unresolved (Stripe or the database still failing): run it again.
Reads the app's environment (.env).`;

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
    onKey: (r) => console.log(`${r.keyId}: ${r.outcome}${r.stripeObjectId ? ` (${r.stripeObjectId})` : ""}${r.error ? `: ${r.error}` : ""}`),
  });
  console.log(`recorded ${counts.recorded}, forgotten ${counts.forgotten}, skipped ${counts.skipped}, unresolved ${counts.unresolved}`);
  if (counts.unresolved > 0) process.exitCode = 1;
}

main()
  .catch((error: unknown) => {
    console.error(`reconcile failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => db().$disconnect());
