import "server-only";
import { Prisma } from "@prisma/client";
import { db, sqlRows } from "@/server/db";
import { type EventOwner, stripeEventEffect } from "./stripe-event-effect";
import { paymentIntentIdOf, problemsOf, stripeEventEnvelope } from "./stripe-event-objects";
import { verifyStripeEvent } from "./verify-stripe-event";

/**
 * Why a correctly signed event was acknowledged without being recorded or applied:
 * - `connect_event`: it happened on another Stripe account (a Connect event);
 * - `malformed_event`: the event, or the object of a type we handle, is not what Stripe sends.
 */
export type IgnoredReason = "connect_event" | "malformed_event";

export type WebhookReceipt = {
  /** Null only for an ignored event without a usable id. */
  eventId: string | null;
  type: string | null;
  /** The event had already been processed by an earlier delivery: nothing was done. */
  duplicate: boolean;
  /** Set when the event was ignored: nothing was written. `problems` are for the log. */
  ignored?: { reason: IgnoredReason; problems: string[] };
};

/**
 * Verifies one webhook delivery and applies its event at most once per event id, across
 * every app instance, in two statements and no interactive transaction (three for a refund
 * or dispute event, whose user is read first: ownerOf):
 *
 * 1. Record the event (`INSERT … ON CONFLICT DO NOTHING`), committed on its own, so that a
 *    delivery whose processing fails leaves the event received but unprocessed.
 * 2. Claim it and apply its effect in one statement: `UPDATE … SET processed_at = now() WHERE
 *    processed_at IS NULL` and the effect as a CTE reading from that update. A concurrent
 *    delivery of the same event blocks on the row lock, then finds it processed and does
 *    nothing; if the effect throws, the claim rolls back with it and Stripe's retry (we answer
 *    500) finds the event unprocessed.
 *
 * An event that can be judged from its own content — a Connect event, a malformed one — is
 * acknowledged before either statement and not recorded. A malformed event is acknowledged
 * (200), not refused: Stripe's retry would bring the very same signed bytes, so a 4xx or 5xx
 * would only have Stripe retry it for days and report the endpoint as failing, while nothing
 * could ever make it applicable; the warning in the log is what someone should look at. Whether an object is ours (a key row vouches for it, or we hold
 * its payment) is decided inside statement 2, so such events are recorded as processed.
 */
export async function handleStripeEvent(rawBody: string, signature: string | null): Promise<WebhookReceipt> {
  const verified: unknown = verifyStripeEvent(rawBody, signature);
  const envelope = stripeEventEnvelope.safeParse(verified);
  if (!envelope.success) {
    const fields = typeof verified === "object" && verified !== null ? (verified as Record<string, unknown>) : {};
    const eventId = typeof fields.id === "string" ? fields.id.slice(0, 255) : null;
    const type = typeof fields.type === "string" ? fields.type.slice(0, 100) : null;
    return ignored(eventId, type, "malformed_event", problemsOf(envelope.error));
  }
  const event = envelope.data;
  // This app is not a Connect platform. Stripe sends events that happened on a connected
  // account to Connect endpoints, with a top-level `account` naming that account
  // (https://docs.stripe.com/connect/webhooks); their objects and metadata are not ours to
  // record, even when they name our users and key rows.
  if (event.account != null) return ignored(event.id, event.type, "connect_event", []);
  const effect = stripeEventEffect(event);
  if ("malformed" in effect) return ignored(event.id, event.type, "malformed_event", effect.malformed);
  // An event no user of ours owns is still recorded as processed, with no effect.
  const owner = "owner" in effect ? await ownerOf(effect.owner) : null;
  const effectSql = "owner" in effect && owner !== null ? effect.sql(owner) : null;

  const occurredAt = event.created == null ? null : new Date(event.created * 1000);
  await db().$executeRaw(Prisma.sql`
    INSERT INTO webhook_events (id, type, payment_intent_id, occurred_at)
    VALUES (${event.id}, ${event.type}, ${paymentIntentIdOf(event)}, ${occurredAt})
    ON CONFLICT (id) DO NOTHING`);
  const rows = await db().$queryRaw<{ claimed: number }[]>(Prisma.sql`
    WITH claimed AS (
      UPDATE webhook_events SET processed_at = now()
      WHERE id = ${event.id} AND processed_at IS NULL
      RETURNING id
    )${effectSql ? Prisma.sql`, effect AS (${effectSql})` : Prisma.empty}
    SELECT count(*)::int AS claimed FROM claimed`);
  return { eventId: event.id, type: event.type, duplicate: rows[0]?.claimed !== 1 };
}

/**
 * The user an event's object belongs to (EventOwner): the one its metadata names, or else the
 * user of the one payment that holds its PaymentIntent; null when no user or more than one does.
 */
async function ownerOf(owner: EventOwner): Promise<string | null> {
  if (owner.metadataUserId !== null) return owner.metadataUserId;
  const holders = await sqlRows<{ userId: string }[]>(Prisma.sql`
    SELECT user_id::text AS "userId" FROM payments WHERE stripe_payment_intent_id = ${owner.paymentIntentId} LIMIT 2`);
  return holders.length === 1 ? holders[0]!.userId : null;
}

function ignored(eventId: string | null, type: string | null, reason: IgnoredReason, problems: string[]): WebhookReceipt {
  return { eventId, type, duplicate: false, ignored: { reason, problems } };
}
