import "server-only";
import { randomUUID } from "node:crypto";
import { Prisma } from "@prisma/client";
import type Stripe from "stripe";
import { env } from "@/env";
import { db } from "@/server/db";
import { completeKey } from "@/server/idempotency/complete-key";
import { REDRIVE_WINDOW_HOURS } from "@/server/idempotency/key-row";
import { forgetKey, releaseKey } from "@/server/idempotency/release-key";
import { takeOverKey } from "@/server/idempotency/take-over-key";
import { PAYMENTS_PATH, recordOutcome } from "@/server/payments/create-payment";
import { stripe } from "@/server/stripe";

export type ReconcileOutcome = "recovered" | "released" | "skipped";

export type ReconcileOptions = {
  /** Only keys whose first attempt is older than this; default: Stripe's re-drive window. */
  olderThanSeconds?: number;
  limit?: number;
  onKey?: (result: { keyId: string; outcome: ReconcileOutcome; paymentIntentId?: string }) => void;
};

type StuckKey = { id: string; userId: string; lockToken: string | null };

/**
 * Resolves payment keys that no client retry will finish: unfinished (a crash, or a
 * transient failure never retried), not locked by a live request, and too old to re-drive
 * safely because Stripe may have forgotten its own idempotency key (DESIGN.md §4). Each is
 * taken over with the engine's compare-and-set, then looked up in Stripe by the metadata the
 * engine put on the PaymentIntent:
 * - found → completed exactly as the original request would have (Payment row + response);
 * - not found → nothing was charged, so the key is forgotten and a retry starts afresh.
 */
export async function reconcileStuckKeys(options: ReconcileOptions = {}): Promise<Record<ReconcileOutcome, number>> {
  const lockTimeout = env().IDEMPOTENCY_LOCK_TIMEOUT;
  const olderThan = options.olderThanSeconds ?? REDRIVE_WINDOW_HOURS * 3600;
  const stuck = await db().$queryRaw<StuckKey[]>(Prisma.sql`
    SELECT id::text AS id, user_id::text AS "userId", lock_token::text AS "lockToken"
    FROM idempotency_keys
    WHERE recovery_point = 'started' AND path = ${PAYMENTS_PATH}
      AND (lock_token IS NULL OR locked_at <= now() - make_interval(secs => ${lockTimeout}::float8))
      AND created_at <= now() - make_interval(secs => ${olderThan}::float8)
    ORDER BY created_at
    LIMIT ${options.limit ?? 100}`);

  const counts: Record<ReconcileOutcome, number> = { recovered: 0, released: 0, skipped: 0 };
  for (const key of stuck) {
    const result = await reconcileOne(key, lockTimeout);
    counts[result.outcome] += 1;
    options.onKey?.({ keyId: key.id, ...result });
  }
  return counts;
}

async function reconcileOne(key: StuckKey, lockTimeoutSeconds: number) {
  const lockToken = randomUUID();
  const timings = { ttlSeconds: env().IDEMPOTENCY_TTL, lockTimeoutSeconds };
  if (!(await takeOverKey(key.id, key.lockToken, lockToken, timings))) return { outcome: "skipped" as const };
  try {
    const intent = await findIntent(key.id);
    if (!intent) {
      await forgetKey(key.id, lockToken);
      return { outcome: "released" as const };
    }
    const declined = intent.status === "requires_payment_method" && intent.last_payment_error ? intent.last_payment_error : undefined;
    const final = recordOutcome(
      key.id,
      key.userId,
      { description: intent.description ?? undefined },
      intent,
      `reconcile_${key.id}`,
      declined,
    );
    const completed = await completeKey(key.id, lockToken, { status: final.status, body: JSON.stringify(final.body) }, final.write);
    return { outcome: completed ? ("recovered" as const) : ("skipped" as const), paymentIntentId: intent.id };
  } catch (error) {
    await releaseKey(key.id, lockToken);
    throw error;
  }
}

async function findIntent(keyId: string): Promise<Stripe.PaymentIntent | undefined> {
  const found = await stripe().paymentIntents.search({ query: `metadata['idempotency_key_id']:'${keyId}'`, limit: 1 });
  return found.data[0];
}
