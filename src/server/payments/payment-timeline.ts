import "server-only";
import { db } from "@/server/db";
import { isUuid } from "./is-uuid";

export type TimelineEntry = { eventId: string; type: string; occurredAt: Date };

/**
 * What Stripe told us about one of the user's payments, in the order it happened: the
 * webhook events about its PaymentIntent (and its charge, refunds and disputes) that were
 * applied. Stripe's `created` is in whole seconds: within one second, arrival order decides. Another user's payment has no timeline here: the payment row decides ownership.
 */
export async function paymentTimeline(userId: string, paymentId: string): Promise<TimelineEntry[]> {
  if (!isUuid(paymentId)) return [];
  return db().$queryRaw<TimelineEntry[]>`
    SELECT e.id AS "eventId", e.type, COALESCE(e.occurred_at, e.received_at) AS "occurredAt"
    FROM payments p
    JOIN webhook_events e ON e.payment_intent_id = p.stripe_payment_intent_id
    WHERE p.id = ${paymentId}::uuid AND p.user_id = ${userId}::uuid AND e.processed_at IS NOT NULL
    ORDER BY COALESCE(e.occurred_at, e.received_at), e.received_at, e.id
    LIMIT 100`;
}
