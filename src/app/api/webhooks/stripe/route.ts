import { otherMethods } from "@/server/http/other-methods";
import { readBodyText } from "@/server/http/read-body-text";
import { withRoute } from "@/server/http/with-route";
import { handleStripeEvent } from "@/server/payments/handle-stripe-event";

export const dynamic = "force-dynamic";

/** Stripe's events are a few KiB; anything near this is not one of them. */
const MAX_EVENT_BYTES = 1024 * 1024;

/**
 * Stripe's webhook endpoint (docs/API.md). No user: the signature is the authentication.
 * Any failure after verification answers 500, so Stripe delivers the event again.
 */
export const POST = withRoute(async ({ request, annotate }) => {
  // The raw text: the signature covers the bytes Stripe sent, not a re-serialisation.
  const raw = await readBodyText(request, MAX_EVENT_BYTES);
  const receipt = await handleStripeEvent(raw, request.headers.get("stripe-signature"));
  annotate({ stripeEventId: receipt.eventId, stripeEventType: receipt.type, duplicate: receipt.duplicate });
  return Response.json(receipt.duplicate ? { received: true, duplicate: true } : { received: true }, {
    headers: { "Cache-Control": "no-store" },
  });
});

export const { GET, PUT, PATCH, DELETE, OPTIONS } = otherMethods(["POST"]);
