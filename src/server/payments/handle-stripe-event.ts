import "server-only";
import { Prisma } from "@prisma/client";
import { db } from "@/server/db";
import { stripeEventEffect } from "./stripe-event-effect";
import { verifyStripeEvent } from "./verify-stripe-event";

export type WebhookReceipt = {
  eventId: string;
  type: string;
  /** The event had already been processed by an earlier delivery: nothing was done. */
  duplicate: boolean;
};

/**
 * Verifies one webhook delivery and applies its event at most once per event id, across
 * every app instance, in two statements and no interactive transaction:
 *
 * 1. Record the event (`INSERT … ON CONFLICT DO NOTHING`), committed on its own, so that a
 *    delivery whose processing fails leaves the event received but unprocessed.
 * 2. Claim it and apply its effect in one statement: `UPDATE … SET processed_at = now() WHERE
 *    processed_at IS NULL` and the effect as a CTE reading from that update. A concurrent
 *    delivery of the same event blocks on the row lock, then finds it processed and does
 *    nothing; if the effect throws, the claim rolls back with it and Stripe's retry (we answer
 *    500) finds the event unprocessed.
 */
export async function handleStripeEvent(rawBody: string, signature: string | null): Promise<WebhookReceipt> {
  const event = verifyStripeEvent(rawBody, signature);
  await db().$executeRaw(Prisma.sql`
    INSERT INTO webhook_events (id, type) VALUES (${event.id}, ${event.type})
    ON CONFLICT (id) DO NOTHING`);
  const effect = stripeEventEffect(event);
  const rows = await db().$queryRaw<{ claimed: number }[]>(Prisma.sql`
    WITH claimed AS (
      UPDATE webhook_events SET processed_at = now()
      WHERE id = ${event.id} AND processed_at IS NULL
      RETURNING id
    )${effect ? Prisma.sql`, effect AS (${effect})` : Prisma.empty}
    SELECT count(*)::int AS claimed FROM claimed`);
  return { eventId: event.id, type: event.type, duplicate: rows[0]?.claimed !== 1 };
}
