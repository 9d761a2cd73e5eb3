import "server-only";
import { db } from "@/server/db";
import { isUuid } from "./is-uuid";

/** The Idempotency-Key a payment was created with; `expired` once past its TTL (a retry with it would start a new payment). */
export type PaymentKey = { key: string; expired: boolean };

/**
 * The key of one of the user's payments, or null when it is gone: the cleanup deletes key
 * rows some time after they expire, and the payment keeps its history without it. One
 * statement, scoped by user like every read of a payment; PostgreSQL's clock decides expiry,
 * as it does for the engine.
 */
export async function paymentKey(userId: string, paymentId: string): Promise<PaymentKey | null> {
  if (!isUuid(paymentId)) return null;
  const [row] = await db().$queryRaw<PaymentKey[]>`
    SELECT k.key, k.expires_at <= now() AS expired
    FROM payments p
    JOIN idempotency_keys k ON k.id = p.idempotency_key_id AND k.user_id = p.user_id
    WHERE p.id = ${paymentId}::uuid AND p.user_id = ${userId}::uuid`;
  return row ?? null;
}

/**
 * Which of the user's payments a PaymentIntent is, for the page Stripe redirects back to
 * (`/pay/return?payment_intent=pi_…`): null for an id that is not one, or not the user's.
 */
export async function paymentIdOfIntent(userId: string, paymentIntentId: string): Promise<string | null> {
  if (!/^pi_[A-Za-z0-9_]{1,250}$/.test(paymentIntentId)) return null;
  const payment = await db().payment.findFirst({ where: { stripePaymentIntentId: paymentIntentId, userId }, select: { id: true } });
  return payment?.id ?? null;
}
