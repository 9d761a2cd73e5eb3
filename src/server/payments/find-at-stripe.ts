import "server-only";
import type Stripe from "stripe";
import { stripe } from "@/server/stripe";

/** Seconds before a key's creation still searched, for clocks that disagree (ours and Stripe's). */
const CLOCK_SKEW_SECONDS = 300;
/** Objects scanned in one lookup before giving up, rather than listing a whole account. */
const MAX_SCANNED = 1_000;

/**
 * The PaymentIntent that the keyed request `keyId` created, found by the metadata the engine
 * puts on every intent, among the intents created since the key (unix seconds). List, never
 * search: list is read-after-write consistent, while search can lag about a minute behind a
 * new object (docs.stripe.com/search), which here would read as "nothing was charged".
 */
export function findPaymentIntentOfKey(keyId: string, since: number): Promise<Stripe.PaymentIntent | null> {
  return findByKey(stripe().paymentIntents.list({ created: { gte: since - CLOCK_SKEW_SECONDS }, limit: 100 }), keyId);
}

/** The refund that the keyed request `keyId` made, among the refunds of its payment's intent. */
export function findRefundOfKey(keyId: string, paymentIntentId: string): Promise<Stripe.Refund | null> {
  return findByKey(stripe().refunds.list({ payment_intent: paymentIntentId, limit: 100 }), keyId);
}

async function findByKey<T extends { metadata: Stripe.Metadata | null }>(list: AsyncIterable<T>, keyId: string): Promise<T | null> {
  let scanned = 0;
  for await (const object of list) {
    if (object.metadata?.idempotency_key_id === keyId) return object;
    if (++scanned >= MAX_SCANNED) {
      throw new Error(`key ${keyId}: no match among the first ${MAX_SCANNED} objects; look it up by metadata idempotency_key_id`);
    }
  }
  return null;
}
