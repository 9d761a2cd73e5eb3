import "server-only";
import { randomUUID } from "node:crypto";
import type Stripe from "stripe";
import { env } from "@/env";
import { PAYMENTS_PATH } from "@/lib/routes";
import * as keys from "@/server/idempotency/key-store";
import { REDRIVE_WINDOW_HOURS, type KeyTimings, type UnfinishedKey } from "@/server/idempotency/key-store";
import { recordFinalOutcome, type FinalOutcome } from "@/server/idempotency/with-idempotency";
import { logger, type Logger } from "@/server/logger";
import { declineOf, paymentOutcome } from "@/server/payments/create-payment";
import { findRefundablePayment, paymentIdOfRefundsPath, refundOutcome } from "@/server/payments/create-refund";
import { findPaymentIntentOfKey, findRefundOfKey } from "@/server/payments/find-at-stripe";
import { stripe } from "@/server/stripe";

/**
 * - recorded: Stripe holds an object for the key; it is recorded and the key finished.
 * - forgotten: Stripe holds nothing for the key; the key is deleted and a retry starts afresh.
 * - skipped: a live request or another reconciler holds the key.
 * - unresolved: still failing (Stripe unreachable, the database refusing the rows); retried next run.
 */
export type ReconcileOutcome = "recorded" | "forgotten" | "skipped" | "unresolved";

export type ReconcileResult = { keyId: string; outcome: ReconcileOutcome; stripeObjectId?: string; error?: string };

export type ReconcileOptions = {
  /** Unflagged unfinished keys only when older than this; default: Stripe's re-drive window. */
  olderThanSeconds?: number;
  limit?: number;
  /**
   * A run that must end in time (a hosted scheduler's request): no key is started after this
   * (ms since the epoch), except the first, so every run makes progress. Unset: no deadline.
   */
  startNoKeyAfter?: number;
  onKey?: (result: ReconcileResult) => void;
  log?: Logger;
};

/**
 * `npm run reconcile`: finishes the keys no client retry will finish (DESIGN.md §9.1, "no key
 * without a way out"): every key flagged for reconciliation, whatever its age, and every
 * other unfinished key older than the re-drive window (Stripe may have forgotten its own
 * key, so re-driving could charge again), payment or refund. Each is taken over with the
 * engine's compare-and-set, its object looked up in Stripe, and then recorded through the
 * engine's own recordFinalOutcome, or forgotten when Stripe holds nothing for it.
 */
export async function reconcileStuckKeys(options: ReconcileOptions = {}): Promise<Record<ReconcileOutcome, number>> {
  const { IDEMPOTENCY_TTL, IDEMPOTENCY_LOCK_TIMEOUT } = env();
  const timings: KeyTimings = { ttlSeconds: IDEMPOTENCY_TTL, lockTimeoutSeconds: IDEMPOTENCY_LOCK_TIMEOUT };
  const log = options.log ?? logger();
  const unfinished = await keys.listUnfinished(
    { olderThanSeconds: options.olderThanSeconds ?? REDRIVE_WINDOW_HOURS * 3600, limit: options.limit ?? 100 },
    timings,
  );

  const counts: Record<ReconcileOutcome, number> = { recorded: 0, forgotten: 0, skipped: 0, unresolved: 0 };
  for (const [index, key] of unfinished.entries()) {
    if (index > 0 && options.startNoKeyAfter !== undefined && Date.now() > options.startNoKeyAfter) break; // the next run goes on
    const result = await reconcileOne(key, timings, log);
    counts[result.outcome] += 1;
    options.onKey?.(result);
  }
  return counts;
}

async function reconcileOne(key: UnfinishedKey, timings: KeyTimings, log: Logger): Promise<ReconcileResult> {
  const lockToken = randomUUID();
  if (!(await keys.takeOver(key, lockToken, timings))) return { keyId: key.id, outcome: "skipped" };
  const lock = { userId: key.userId, keyId: key.id, lockToken };
  try {
    const final = await findOutcome(key);
    if (!final) {
      await keys.forget(lock);
      return { keyId: key.id, outcome: "forgotten" };
    }
    const recorded = await recordFinalOutcome(lock, final, log);
    const outcome = recorded.result === "completed" ? "recorded" : recorded.result === "flagged" ? "unresolved" : "skipped";
    return { keyId: key.id, outcome, stripeObjectId: final.stripeObjectId };
  } catch (error) {
    // Unlock and keep the recovery point: the next run tries again.
    await keys.release(lock).catch(() => {});
    log.error({ err: error, idempotencyKeyId: key.id }, "reconciling a key failed");
    return { keyId: key.id, outcome: "unresolved", error: error instanceof Error ? error.message : String(error) };
  }
}

/** The final answer Stripe's records imply for the key, or null when Stripe holds nothing for it. */
async function findOutcome(key: UnfinishedKey): Promise<FinalOutcome | null> {
  const requestId = `reconcile_${key.id}`;
  if (key.path === PAYMENTS_PATH) {
    const intent = await findPaymentIntent(key);
    if (!intent) return null;
    return paymentOutcome(key.id, key.userId, intent, { description: intent.description, requestId, decline: declineOf(intent) });
  }
  const paymentId = paymentIdOfRefundsPath(key.path);
  if (paymentId) {
    const payment = await findRefundablePayment(key.userId, paymentId);
    // Stripe is only called after the payment was found, so without it nothing can be looked up.
    if (!payment) throw new Error(`refund key ${key.id}: payment ${paymentId} no longer exists`);
    const refund = await findRefund(key, payment.stripePaymentIntentId);
    return refund ? refundOutcome(key.id, key.userId, payment, refund) : null;
  }
  throw new Error(`no reconciler for keys of ${key.path}`);
}

/** By id when the key names it; else by the metadata the engine put on the intent. */
async function findPaymentIntent(key: UnfinishedKey): Promise<Stripe.PaymentIntent | null> {
  if (key.stripeObjectId) return stripe().paymentIntents.retrieve(key.stripeObjectId);
  return findPaymentIntentOfKey(key.id, key.createdAt);
}

/** By id when the key names it; else among the payment's refunds, by metadata. */
async function findRefund(key: UnfinishedKey, paymentIntentId: string): Promise<Stripe.Refund | null> {
  if (key.stripeObjectId) return stripe().refunds.retrieve(key.stripeObjectId);
  return findRefundOfKey(key.id, paymentIntentId);
}
