import "server-only";
import { Prisma, type PaymentStatus } from "@prisma/client";

/**
 * How far along a payment is. Stripe delivers events at least once and in any order, and an
 * API response can be older than a webhook, so a status is only ever replaced by one of a
 * higher rank: a late `requires_action` never undoes `succeeded`.
 *
 * `failed` ranks below `succeeded` and `canceled` on purpose: Stripe lets a PaymentIntent whose
 * attempt failed be confirmed again (Stripe.js with the client secret) or canceled, so those
 * may follow it, while a late `payment_failed` must never undo money that moved.
 */
const PAYMENT_STATUS_RANK: Readonly<Record<PaymentStatus, number>> = {
  requires_payment_method: 0,
  requires_confirmation: 0,
  requires_action: 1,
  processing: 2,
  requires_capture: 3,
  failed: 4,
  canceled: 5,
  succeeded: 5,
};

/**
 * A refund is pending (or waiting on the customer) until Stripe settles it. `failed` and
 * `canceled` rank above `succeeded`: a refund can fail after it was reported (its money
 * comes back to the balance, docs.stripe.com/refunds#failed-refunds), and a late
 * `refund.updated` saying succeeded must never undo that.
 */
const REFUND_STATUS_RANK: Readonly<Record<string, number>> = {
  pending: 0,
  requires_action: 0,
  succeeded: 1,
  failed: 2,
  canceled: 2,
};

/**
 * A dispute waits on the merchant (needs_response), then on the bank (under_review), then is
 * closed (won, lost; warning_closed for an inquiry). Stripe's dispute statuses,
 * docs.stripe.com/api/disputes/object#dispute_object-status.
 */
const DISPUTE_STATUS_RANK: Readonly<Record<string, number>> = {
  warning_needs_response: 0,
  needs_response: 0,
  warning_under_review: 1,
  under_review: 1,
  won: 2,
  lost: 2,
  warning_closed: 2,
  prevented: 2,
};

/**
 * SQL for the rank of the status `expression` (a column or `EXCLUDED.status`), so that a
 * conditional UPDATE compares ranks inside the statement instead of reading then writing.
 * Unknown statuses rank lowest. The table's keys are our own constants, hence inlined.
 */
function statusRank(expression: Prisma.Sql, ranks: Readonly<Record<string, number>>): Prisma.Sql {
  const cases = Object.entries(ranks).map(([status, rank]) => {
    if (!/^[a-z_]+$/.test(status) || !Number.isInteger(rank)) throw new Error(`not a status rank: ${status}`);
    return `WHEN '${status}' THEN ${rank}`;
  });
  return Prisma.sql`(CASE (${expression})::text ${Prisma.raw(cases.join(" "))} ELSE 0 END)`;
}

/**
 * In an `INSERT … ON CONFLICT DO UPDATE` on `table`: true when the proposed row's status is
 * further along than the stored one. Evaluated against the latest committed row version, so
 * two concurrent writers end with the more advanced status whichever commits second.
 */
export function proposedStatusIsAhead(table: "payments" | "refunds"): Prisma.Sql {
  const ranks = table === "payments" ? PAYMENT_STATUS_RANK : REFUND_STATUS_RANK;
  return Prisma.sql`${statusRank(Prisma.sql`EXCLUDED.status`, ranks)} > ${statusRank(Prisma.raw(`${table}.status`), ranks)}`;
}

/** SQL: true when the dispute status `proposed` is further along than the payment's stored one (or there is none). */
export function disputeStatusIsAhead(proposed: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(payments.dispute_status IS NULL OR ${statusRank(proposed, DISPUTE_STATUS_RANK)} > ${statusRank(Prisma.raw("payments.dispute_status"), DISPUTE_STATUS_RANK)})`;
}

