import "server-only";
import { Prisma } from "@prisma/client";
import { proposedStatusIsAhead } from "./status-rank";

/*
 * The two domain writes, each written once and used by both writers: the API's completion
 * (create-payment.ts, create-refund.ts, through the engine) and the webhook effects
 * (stripe-event-effect.ts). Either may come first and either may carry older news (a re-drive
 * gets Stripe's replay of the first answer; webhooks come in any order), so each has one
 * conflict rule that converges whatever the order. A payment's refund totals are not written
 * here at all: a trigger on `refunds` keeps them (migration 20261130204000).
 */

/** SQL expressions for a payment row's columns, over the rows of the statement's FROM. */
export type PaymentRow = {
  id: Prisma.Sql;
  userId: Prisma.Sql;
  amount: number;
  currency: string;
  description: string | null;
  status: string;
  stripePaymentIntentId: string;
  failureCode: string | null;
  /** The card as Stripe reported it (cardOf); null when this writer does not know it. */
  cardBrand: string | null;
  cardLast4: string | null;
  idempotencyKeyId: Prisma.Sql;
  createdAt: Prisma.Sql;
};

/**
 * Insert the payment `FROM …` (`from`, which may filter or yield no row), or, for a row that
 * exists with this id and PaymentIntent: the status (and its failure code) only moves forward
 * (status rank); the first description, card and key id known are kept; `created_at` becomes the
 * later time — the API's answer is made after Stripe created the intent, so GET agrees with
 * the stored response whichever writer came first. A row of another PaymentIntent under the
 * same id is left alone.
 */
export function upsertPayment(row: PaymentRow, from: Prisma.Sql): Prisma.Sql {
  const ahead = proposedStatusIsAhead("payments");
  return Prisma.sql`
    INSERT INTO payments (id, user_id, amount, currency, description, status, stripe_payment_intent_id,
      failure_code, card_brand, card_last4, idempotency_key_id, created_at, updated_at)
    SELECT ${row.id}, ${row.userId}, ${row.amount}, ${row.currency}, ${row.description}, ${row.status}::payment_status,
      ${row.stripePaymentIntentId}, ${row.failureCode}, ${row.cardBrand}, ${row.cardLast4}, ${row.idempotencyKeyId},
      ${row.createdAt}, now()
    ${from}
    ON CONFLICT (user_id, id) DO UPDATE SET
      status = CASE WHEN ${ahead} THEN EXCLUDED.status ELSE payments.status END,
      failure_code = CASE WHEN ${ahead} THEN EXCLUDED.failure_code ELSE payments.failure_code END,
      description = COALESCE(payments.description, EXCLUDED.description),
      card_brand = COALESCE(payments.card_brand, EXCLUDED.card_brand),
      card_last4 = COALESCE(payments.card_last4, EXCLUDED.card_last4),
      idempotency_key_id = COALESCE(EXCLUDED.idempotency_key_id, payments.idempotency_key_id),
      created_at = GREATEST(payments.created_at, EXCLUDED.created_at),
      updated_at = now()
    WHERE payments.stripe_payment_intent_id = EXCLUDED.stripe_payment_intent_id
    RETURNING payments.id`;
}

/** SQL expressions for a refund row's columns, over the rows of the statement's FROM. */
export type RefundRow = {
  id: Prisma.Sql;
  paymentId: Prisma.Sql;
  userId: Prisma.Sql;
  amount: number;
  status: string;
  stripeRefundId: string;
  idempotencyKeyId: Prisma.Sql;
  createdAt: Prisma.Sql;
};

/**
 * Insert the refund `FROM …`, or, for the row of this Stripe refund: its status only moves
 * forward (a refund can fail after it succeeded, never the reverse); the first key id known
 * is kept; `created_at` becomes the later time, as for payments.
 */
export function upsertRefund(row: RefundRow, from: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO refunds (id, payment_id, user_id, amount, status, stripe_refund_id, idempotency_key_id, created_at, updated_at)
    SELECT ${row.id}, ${row.paymentId}, ${row.userId}, ${row.amount}, ${row.status}::refund_status, ${row.stripeRefundId},
      ${row.idempotencyKeyId}, ${row.createdAt}, now()
    ${from}
    ON CONFLICT (user_id, stripe_refund_id) DO UPDATE SET
      status = CASE WHEN ${proposedStatusIsAhead("refunds")} THEN EXCLUDED.status ELSE refunds.status END,
      idempotency_key_id = COALESCE(EXCLUDED.idempotency_key_id, refunds.idempotency_key_id),
      created_at = GREATEST(refunds.created_at, EXCLUDED.created_at),
      updated_at = now()
    RETURNING refunds.id`;
}
