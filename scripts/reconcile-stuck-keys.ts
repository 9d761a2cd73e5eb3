/**
 * `npm run reconcile`: finish idempotency keys that no client retry will finish
 * (src/server/ops/reconcile-stuck-keys.ts). Needs the database and Stripe, nothing else.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { parseEnv } from "@/env";
import { disconnect } from "@/server/db";
import { reconcileStuckKeys } from "@/server/ops/reconcile-stuck-keys";
import { CliConfig } from "./lib/cli-config";
import { integerFlag } from "./lib/integer-flag";

const USAGE = `Usage: npm run reconcile -- [--older-than-seconds N] [--limit N]

Finishes the idempotency keys (payments and refunds) that no client retry will finish and
no live request holds: every key flagged for reconciliation (its outcome could not be
recorded, or it failed for good), and every other unfinished key older than
--older-than-seconds (default 82800, i.e. 23 h: past that Stripe may have forgotten its own
idempotency key). Each is looked up in Stripe (by id, or by the metadata the app put on the
PaymentIntent or refund) and recorded (found) or forgotten (not found: nothing happened).
Exits 1 if a key is still unresolved (Stripe or the database still failing): run it again.
Reads DATABASE_URL, STRIPE_SECRET_KEY and STRIPE_API_BASE (unset: real Stripe) from the
environment or the .env files (.env.development.local, written by npm run dev, included).`;

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
  const olderThan = values["older-than-seconds"];
  const olderThanSeconds = olderThan === undefined ? undefined : integerFlag(olderThan, "--older-than-seconds", 0);
  const limit = integerFlag(values.limit, "--limit", 0);

  const config = new CliConfig("reconcile");
  config.require("DATABASE_URL");
  const secretKey = config.require("STRIPE_SECRET_KEY");
  standInForUnusedSecrets(secretKey);
  config.validate(() => parseEnv(process.env));
  await config.requireDatabase();
  await config.requireDevEmulatorIfUsed();

  try {
    const counts = await reconcileStuckKeys({
      olderThanSeconds,
      limit,
      onKey: (r) => console.log(`${r.keyId}: ${r.outcome}${r.stripeObjectId ? ` (${r.stripeObjectId})` : ""}${r.error ? `: ${r.error}` : ""}`),
    });
    console.log(`recorded ${counts.recorded}, forgotten ${counts.forgotten}, skipped ${counts.skipped}, unresolved ${counts.unresolved}`);
    if (counts.unresolved > 0) process.exitCode = 1;
  } finally {
    await disconnect();
  }
}

/**
 * The reconciler's modules read the app's whole validated environment (src/env.ts `env()`),
 * which also demands the Auth.js secret, the webhook signing secret and, with real Stripe, the
 * browser's publishable key: the reconciler uses none of them. When they are unset, this
 * process gets throw-away stand-ins, so that only what it uses has to be configured.
 */
function standInForUnusedSecrets(secretKey: string) {
  const throwAway = randomBytes(24).toString("hex");
  if (!process.env.AUTH_SECRET && !process.env.NEXTAUTH_SECRET) process.env.AUTH_SECRET = throwAway;
  process.env.STRIPE_WEBHOOK_SECRET ||= `whsec_${throwAway}`;
  if (!process.env.STRIPE_API_BASE) {
    process.env.NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY ||= `pk_${secretKey.includes("_live_") ? "live" : "test"}_${throwAway}`;
  }
}

main().catch((error: unknown) => {
  console.error(`reconcile failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
