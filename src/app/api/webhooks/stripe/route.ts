import { readBodyText } from "@/server/http/read-body-text";
import { route } from "@/server/http/route";
import { withRoute } from "@/server/http/with-route";
import { handleStripeEvent } from "@/server/payments/handle-stripe-event";

export const dynamic = "force-dynamic";

/** Stripe's events are a few KiB; anything near this is not one of them. */
const MAX_EVENT_BYTES = 1024 * 1024;

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  /**
   * Stripe's webhook endpoint (docs/API.md). No user: the signature is the authentication.
   * A signed event we must not or cannot apply is acknowledged with `ignored` (its retry would
   * be the same); any other failure after verification answers 500, so Stripe delivers it again.
   */
  POST: withRoute(async ({ request, log, annotate }) => {
    // The raw text: the signature covers the bytes Stripe sent, not a re-serialisation.
    const raw = await readBodyText(request, MAX_EVENT_BYTES);
    const { eventId, type, duplicate, ignored } = await handleStripeEvent(raw, request.headers.get("stripe-signature"));
    annotate({ stripeEventId: eventId, stripeEventType: type, duplicate, ...(ignored ? { ignored: ignored.reason } : {}) });
    if (ignored) log.warn({ stripeEventId: eventId, stripeEventType: type, ...ignored }, "Stripe event ignored");
    return Response.json({ received: true, ...(duplicate ? { duplicate: true } : {}), ...(ignored ? { ignored: ignored.reason } : {}) });
  }),
});
