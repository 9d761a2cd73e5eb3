import "server-only";
import { randomUUID } from "node:crypto";
import { type PaymentStatus, Prisma } from "@prisma/client";
import type { z } from "zod";
import { PAYMENTS_PATH, refundsPath } from "@/lib/routes";
import { isStorableText } from "@/lib/schemas/user-text";
import { keyRowVouchingFor } from "@/server/idempotency/key-store";
import { isUuid } from "./is-uuid";
import { upsertPayment, upsertRefund } from "./payment-writes";
import { disputeStatusIsAhead } from "./status-rank";
import {
  disputeObject,
  eventObject,
  failedPaymentIntentObject,
  paymentIntentObject,
  refundObject,
  type StripeEventEnvelope,
} from "./stripe-event-objects";

/**
 * The database change an event calls for. Every change is to one user's rows, so it is made
 * for the user the event belongs to (`owner`, see handle-stripe-event.ts): `sql(userId)` is
 * the body of a CTE that selects from `claimed` (the event row this delivery claimed) and
 * touches only that user's rows. `sql: null` is an event recorded with no effect (a type we do
 * not handle, a charge without an intent); `malformed` lists what is wrong with an object of a
 * type we handle.
 */
export type StripeEventEffect =
  | { sql: null }
  | { malformed: string[] }
  | { owner: EventOwner; sql: (userId: string) => Prisma.Sql };

/**
 * How the user an event belongs to is found (docs/decisions/011-shard-ready-by-user.md):
 * Stripe sends ids only, so a database distributed by user must be told the user.
 * - A PaymentIntent of ours names its user in its metadata (create-payment.ts): the effect then
 *   reads and writes that user's rows only, and a key row or payment row of that user must
 *   still vouch for the intent, so metadata naming another user matches nothing. Metadata
 *   naming no user (edited at Stripe) is routed as below.
 * - Refunds and disputes name only their PaymentIntent (a Dashboard refund has no metadata of
 *   ours): its user is read from the payment that holds it, the one cross-user read of the
 *   app's request paths (the shard-safety test's allow-list).
 */
export type EventOwner = { metadataUserId: string | null; paymentIntentId: string };

/**
 * Every effect is a single conditional statement that only moves state forward (status rank,
 * running refund total), so events may come in any order and the outcome is the same. An
 * object that is not ours matches no row and changes nothing: that is decided inside the
 * statement, against our own rows, never from the object's metadata alone.
 */
export function stripeEventEffect(event: StripeEventEnvelope): StripeEventEffect {
  switch (event.type) {
    case "payment_intent.succeeded":
      return paymentIntentEffect(event, "succeeded");
    case "payment_intent.payment_failed":
      return paymentIntentEffect(event, "failed");
    case "payment_intent.canceled":
      return paymentIntentEffect(event, "canceled");
    case "payment_intent.requires_action":
      return paymentIntentEffect(event, "requires_action");
    case "payment_intent.processing":
      return paymentIntentEffect(event, "processing");
    // charge.refunded carries only the charge's running total, which goes back down when a
    // refund fails: the refund.* events of each refund are what counts (see refundEffect).
    case "refund.created":
    case "refund.updated":
    case "refund.failed":
    case "charge.refund.updated":
      return refundEffect(event);
    case "charge.dispute.created":
    case "charge.dispute.updated":
    case "charge.dispute.closed":
      return disputeEffect(event);
    default:
      return { sql: null };
  }
}

/**
 * The key row of the `POST /api/payments` request whose row id the intent's metadata names,
 * of the user it names. Metadata is only text anyone with API access to a Stripe account can
 * write, so an intent whose metadata merely names a real user (another account's, a Connect
 * account's, one made by hand) matches nothing and creates no payment.
 */
function keyRowForPaymentIntent(intentId: string, metadata: Record<string, string>, owner: string): Prisma.Sql {
  const { payment_id: paymentId, user_id: userId, idempotency_key_id: keyId } = metadata;
  // create-payment.ts writes the key row's id as both: a payment's id is its key row's.
  const named = isUuid(keyId) && userId === owner && paymentId === keyId;
  return keyRowVouchingFor({ keyId: named ? keyId : null, userId: Prisma.sql`${owner}::uuid`, path: Prisma.sql`${PAYMENTS_PATH}` }, intentId);
}

/**
 * The key row of the `POST /api/payments/{id}/refunds` request that a refund's metadata
 * names, for the payment whose id and user are the SQL expressions given.
 */
function keyRowForRefund(refundId: string, metadata: Record<string, string>, payment: { id: Prisma.Sql; userId: Prisma.Sql }): Prisma.Sql {
  const { refund_id: rowId, idempotency_key_id: keyId } = metadata;
  // create-refund.ts writes the key row's id as both: a refund's id is its key row's.
  const named = isUuid(rowId) && rowId === keyId;
  // The path as refundsPath() writes it, built in SQL around the payment row's id.
  const [before = "", after = ""] = refundsPath(":id").split(":id");
  const path = Prisma.sql`${before} || ${payment.id}::text || ${after}`;
  return keyRowVouchingFor({ keyId: named ? rowId : null, userId: payment.userId, path }, refundId);
}

/**
 * Moves the payment of this intent forward to `status`. The payment is ours if we hold a row
 * for the intent, or if a key row vouches for the intent's metadata (keyRowForPaymentIntent):
 * then the webhook beat the API request's completion, or that request never completed, and
 * the row is created under the key row's id and user, so the payment is known from the
 * webhook alone. Anything else matches no row and is ignored.
 */
function paymentIntentEffect(event: StripeEventEnvelope, status: PaymentStatus): StripeEventEffect {
  const parsed = eventObject(event, status === "failed" ? failedPaymentIntentObject : paymentIntentObject);
  if (!parsed.ok) return { malformed: parsed.problems };
  const intent: z.output<typeof failedPaymentIntentObject> = parsed.object;
  const failure = intent.last_payment_error;
  const failureCode = status === "failed" ? (failure?.decline_code ?? failure?.code ?? "payment_failed") : null;
  // Stripe keeps whatever text it was given; a NUL must not fail this event on every retry.
  const description = intent.description != null && isStorableText(intent.description) ? intent.description : null;
  // `known` first: a row the owner already holds for this intent is advanced, even after its
  // key row expired and was deleted. The INSERT's id then conflicts with that row, and the
  // update applies only if it is this intent's row.
  const metadataUserId = isUuid(intent.metadata.user_id) ? intent.metadata.user_id : null;
  return {
    owner: { metadataUserId, paymentIntentId: intent.id },
    sql: (owner) => upsertPayment(
      {
        id: Prisma.sql`COALESCE(known.id, vouching.id)`,
        userId: Prisma.sql`${owner}::uuid`,
        amount: intent.amount,
        currency: intent.currency,
        description,
        status,
        stripePaymentIntentId: intent.id,
        failureCode,
        // Events carry the PaymentMethod's id, not the card: the API's completion records it.
        cardBrand: null,
        cardLast4: null,
        idempotencyKeyId: Prisma.sql`vouching.id`,
        createdAt: Prisma.sql`to_timestamp(${intent.created}::float8)`,
      },
      Prisma.sql`
      FROM claimed
      LEFT JOIN payments known ON known.user_id = ${owner}::uuid AND known.stripe_payment_intent_id = ${intent.id}
      LEFT JOIN (${keyRowForPaymentIntent(intent.id, intent.metadata, owner)}) vouching ON true
      WHERE known.id IS NOT NULL OR vouching.id IS NOT NULL`,
    ),
  };
}

/**
 * Records the dispute on the payment of its PaymentIntent, or moves its status forward
 * (needs_response → under_review → won / lost); a payment we do not hold matches nothing.
 */
function disputeEffect(event: StripeEventEnvelope): StripeEventEffect {
  const parsed = eventObject(event, disputeObject);
  if (!parsed.ok) return { malformed: parsed.problems };
  const dispute = parsed.object;
  if (!dispute.payment_intent) return { sql: null };
  return {
    owner: { metadataUserId: null, paymentIntentId: dispute.payment_intent },
    sql: (owner) => Prisma.sql`
    UPDATE payments SET dispute_id = ${dispute.id}, dispute_status = ${dispute.status}, dispute_reason = ${dispute.reason},
      dispute_amount = ${dispute.amount}, updated_at = now()
    FROM claimed
    WHERE payments.user_id = ${owner}::uuid AND payments.stripe_payment_intent_id = ${dispute.payment_intent}
      AND (payments.dispute_id IS DISTINCT FROM ${dispute.id} OR ${disputeStatusIsAhead(Prisma.sql`${dispute.status}`)})
    RETURNING payments.id`,
  };
}

/**
 * Records a refund of a payment we hold, or moves its status forward. Ours carry `refund_id`
 * in their metadata, the id the API answers with, whichever of the API and the webhook writes
 * first; it is used only when the key row of that refund request vouches for it
 * (keyRowForRefund). Any other refund of our payment (the Dashboard's) gets a new id.
 */
function refundEffect(event: StripeEventEnvelope): StripeEventEffect {
  const parsed = eventObject(event, refundObject);
  if (!parsed.ok) return { malformed: parsed.problems };
  const refund = parsed.object;
  const paymentIntentId = refund.payment_intent;
  if (!paymentIntentId) return { sql: null };
  const vouchingKey = (owner: string) =>
    keyRowForRefund(refund.id, refund.metadata ?? {}, { id: Prisma.sql`payments.id`, userId: Prisma.sql`${owner}::uuid` });
  // A refund row already holding that id for another Stripe refund would make the INSERT fail
  // on the primary key (ON CONFLICT arbitrates (user_id, stripe_refund_id) only) on every retry.
  return {
    owner: { metadataUserId: null, paymentIntentId },
    sql: (owner) => upsertRefund(
      {
        id: Prisma.sql`COALESCE(vouching.id, ${randomUUID()}::uuid)`,
        paymentId: Prisma.sql`payments.id`,
        userId: Prisma.sql`${owner}::uuid`,
        amount: refund.amount,
        status: refund.status ?? "pending",
        stripeRefundId: refund.id,
        idempotencyKeyId: Prisma.sql`vouching.id`,
        createdAt: Prisma.sql`to_timestamp(${refund.created}::float8)`,
      },
      Prisma.sql`
      FROM claimed
      JOIN payments ON payments.user_id = ${owner}::uuid AND payments.stripe_payment_intent_id = ${paymentIntentId}
      LEFT JOIN LATERAL (${vouchingKey(owner)}) vouching
        ON NOT EXISTS (SELECT 1 FROM refunds r WHERE r.user_id = ${owner}::uuid AND r.id = vouching.id AND r.stripe_refund_id <> ${refund.id})`,
    ),
  };
}
