import { readCardPaymentMethod } from "./card-data";
import { StripeApiError, docUrl, resourceMissing } from "./errors";
import type { PaymentMethod } from "./objects";
import type { ApiContext, Route } from "./routes";
import { LIVE_CARD, LIVE_CARD_DECLINE, storePaymentMethod } from "./test-payment-methods";

/**
 * `POST /v1/payment_methods` with raw card data, as Stripe.js's createPaymentMethod sends it (a
 * publishable key may call it). The PaymentMethod can then be given as `payment_method` to create
 * or confirm a PaymentIntent; a test card number behaves as its `pm_card_…` token does.
 */
function createPaymentMethod(context: ApiContext): PaymentMethod {
  const { params } = context;
  params.allowOnly(["type", "card", "billing_details", "metadata"]);
  const data = readCardPaymentMethod(params, new Date(context.nowSeconds() * 1000));
  // Test mode refuses a real card when the PaymentMethod is made, as it refuses a test card in
  // live mode at this very call (canonical/ubuntu.com#9324 shows the live-mode twin of the error).
  if (data.behaviour === LIVE_CARD.token) {
    const { code, declineCode, message } = LIVE_CARD_DECLINE;
    throw new StripeApiError(402, { type: "card_error", code, decline_code: declineCode, message, doc_url: docUrl(code) });
  }
  const metadata = params.metadata() ?? {};
  return storePaymentMethod(context.account.paymentMethods, data, context.nowSeconds(), metadata).paymentMethod;
}

function retrievePaymentMethod(context: ApiContext): PaymentMethod {
  context.params.allowOnly([]);
  const attached = context.account.paymentMethods.get(context.resourceId);
  if (!attached) throw resourceMissing("PaymentMethod", context.resourceId, "payment_method");
  return attached.paymentMethod;
}

const SINGLE = { type: "payment_method", list: false } as const;

export const paymentMethodRoutes: readonly Route[] = [
  { method: "POST", pattern: "/v1/payment_methods", publishable: true, returns: SINGLE, handle: createPaymentMethod },
  { method: "GET", pattern: "/v1/payment_methods/:id", returns: SINGLE, handle: retrievePaymentMethod },
];
