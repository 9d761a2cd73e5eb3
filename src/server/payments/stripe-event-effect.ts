import "server-only";
import { randomUUID } from "node:crypto";
import { type PaymentStatus, Prisma } from "@prisma/client";
import type Stripe from "stripe";
import { isUuid } from "./is-uuid";
import { proposedStatusIsAhead } from "./status-rank";

/**
 * The database change a Stripe event calls for, as the body of a CTE that selects from
 * `claimed` (the event row this delivery claimed, see handle-stripe-event.ts), or null for an
 * event that is acknowledged and ignored: a type we do not handle, or an object not ours.
 *
 * Every effect is a single conditional statement that only moves state forward (status rank,
 * running refund total), so events may come in any order and the outcome is the same.
 */
export function stripeEventEffect(event: Stripe.Event): Prisma.Sql | null {
  switch (event.type) {
    case "payment_intent.succeeded":
      return paymentIntentEffect(event.data.object, "succeeded");
    case "payment_intent.payment_failed":
      return paymentIntentEffect(event.data.object, "failed");
    case "payment_intent.canceled":
      return paymentIntentEffect(event.data.object, "canceled");
    case "payment_intent.requires_action":
      return paymentIntentEffect(event.data.object, "requires_action");
    case "payment_intent.processing":
      return paymentIntentEffect(event.data.object, "processing");
    case "charge.refunded":
      return chargeRefundedEffect(event.data.object);
    case "refund.created":
    case "refund.updated":
    case "refund.failed":
      return refundEffect(event.data.object);
    default:
      return null;
  }
}

/**
 * Moves the payment forward to `status`. If the row does not exist yet — the webhook beat the
 * API request's completion, or that request never completed — it is created from the intent's
 * metadata (set by create-payment.ts), so the payment is known from the webhook alone.
 * Intents without our metadata were not created by this app and are ignored; so are those of
 * a user who does not exist here (another environment sharing the Stripe account).
 */
function paymentIntentEffect(intent: Stripe.PaymentIntent, status: PaymentStatus): Prisma.Sql | null {
  const { payment_id: paymentId, user_id: userId, idempotency_key_id: keyId } = intent.metadata ?? {};
  if (!isUuid(paymentId) || !isUuid(userId)) return null;
  const failure = intent.last_payment_error;
  const failureCode = status === "failed" ? (failure?.decline_code ?? failure?.code ?? "payment_failed") : null;
  return Prisma.sql`
    INSERT INTO payments (id, user_id, amount, currency, description, status, stripe_payment_intent_id,
      failure_code, idempotency_key_id, created_at, updated_at)
    SELECT ${paymentId}::uuid, users.id, ${intent.amount}, ${intent.currency}, ${intent.description ?? null},
      ${status}::payment_status, ${intent.id}, ${failureCode},
      (SELECT k.id FROM idempotency_keys k WHERE k.id = ${isUuid(keyId) ? keyId : null}::uuid),
      to_timestamp(${intent.created}::float8), now()
    FROM claimed JOIN users ON users.id = ${userId}::uuid
    ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, failure_code = EXCLUDED.failure_code, updated_at = now()
    WHERE ${proposedStatusIsAhead("payments")} AND payments.stripe_payment_intent_id = EXCLUDED.stripe_payment_intent_id
    RETURNING payments.id`;
}

/**
 * Raises the payment's refunded amount to the charge's running total. Refunds made outside
 * this app (the Dashboard) are counted too; see create-refund.ts for why it is never added to.
 */
function chargeRefundedEffect(charge: Stripe.Charge): Prisma.Sql | null {
  const paymentIntentId = idOf(charge.payment_intent);
  if (!paymentIntentId) return null;
  return Prisma.sql`
    UPDATE payments SET amount_refunded = ${charge.amount_refunded}, updated_at = now()
    FROM claimed
    WHERE payments.stripe_payment_intent_id = ${paymentIntentId} AND payments.amount_refunded < ${charge.amount_refunded}
    RETURNING payments.id`;
}

/**
 * Records the refund on its payment, or moves its status forward. Ours carry `refund_id` in
 * their metadata (the id the API answers with, whichever of the API and the webhook writes
 * first); a Dashboard refund gets a new id.
 */
function refundEffect(refund: Stripe.Refund): Prisma.Sql | null {
  const paymentIntentId = idOf(refund.payment_intent);
  if (!paymentIntentId) return null;
  const { refund_id: refundId, idempotency_key_id: keyId } = refund.metadata ?? {};
  return Prisma.sql`
    INSERT INTO refunds (id, payment_id, user_id, amount, status, stripe_refund_id, idempotency_key_id, created_at, updated_at)
    SELECT ${isUuid(refundId) ? refundId : randomUUID()}::uuid, payments.id, payments.user_id, ${refund.amount},
      ${refund.status ?? "pending"}, ${refund.id},
      (SELECT k.id FROM idempotency_keys k WHERE k.id = ${isUuid(keyId) ? keyId : null}::uuid),
      to_timestamp(${refund.created}::float8), now()
    FROM claimed JOIN payments ON payments.stripe_payment_intent_id = ${paymentIntentId}
    ON CONFLICT (stripe_refund_id) DO UPDATE SET status = EXCLUDED.status, updated_at = now()
    WHERE ${proposedStatusIsAhead("refunds")}
    RETURNING refunds.id`;
}

function idOf(value: string | { id: string } | null): string | null {
  return typeof value === "string" ? value : (value?.id ?? null);
}
