import type Stripe from "stripe";
import { stripe } from "@/server/stripe";

/** Now in Stripe's unit (Unix seconds), for `sinceSeconds` below. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * The PaymentIntents at Stripe, made since `sinceSeconds`, whose metadata names this user, read
 * through the official SDK. A list filtered by `created`, not the Search API: search is not
 * read-after-write on Stripe (new objects can take about a minute to appear,
 * docs.stripe.com/search), so it could miss one just made. The window starts two minutes
 * early for clock skew between this machine and Stripe; users are fresh per test, so older
 * intents of other runs never match.
 */
export async function paymentIntentsOfUser(userId: string, sinceSeconds: number): Promise<Stripe.PaymentIntent[]> {
  const all = await stripe()
    .paymentIntents.list({ created: { gte: sinceSeconds - 120 }, limit: 100 })
    .autoPagingToArray({ limit: 10_000 });
  return all.filter((intent) => intent.metadata.user_id === userId);
}
