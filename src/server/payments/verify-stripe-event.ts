import "server-only";
import type Stripe from "stripe";
import { env } from "@/env";
import { ApiError } from "@/server/http/api-error";
import { stripe } from "@/server/stripe";

/** Stripe's own default: a signed delivery older than five minutes is a possible replay. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * The event in `rawBody` if `Stripe-Signature` proves Stripe sent it, recently, with our
 * endpoint secret. The signature covers the exact bytes received, so this must be given the
 * raw body, never JSON parsed and serialised again.
 */
export function verifyStripeEvent(rawBody: string, signature: string | null): Stripe.Event {
  if (!signature) throw new ApiError("webhook_signature_invalid", "The Stripe-Signature header is missing.");
  try {
    return stripe().webhooks.constructEvent(rawBody, signature, env().STRIPE_WEBHOOK_SECRET, SIGNATURE_TOLERANCE_SECONDS);
  } catch (error) {
    throw new ApiError(
      "webhook_signature_invalid",
      "The Stripe-Signature header does not match the body, the endpoint secret or a recent timestamp.",
      { cause: error },
    );
  }
}
