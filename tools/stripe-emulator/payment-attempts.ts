import { StripeApiError, docUrl } from "./errors";
import { newId } from "./new-id";
import type { Charge, PaymentError, PaymentIntent } from "./objects";
import type { ApiContext } from "./routes";
import { scheduleDispute } from "./disputes";
import type { AttachedPaymentMethod, Decline } from "./test-payment-methods";

/** What a payment attempt needs; the admin 3DS endpoint provides it as well as API routes. */
export type AttemptContext = Pick<ApiContext, "account" | "nowSeconds" | "emit" | "baseUrl">;

/** How the confirmation asked for a customer action to come back (its `return_url`, `use_stripe_sdk`). */
export interface ConfirmationOptions {
  returnUrl?: string;
  useStripeSdk?: boolean;
}

/**
 * Runs the confirmation of a PaymentIntent with a test card: succeeds (charging it), asks for
 * 3D Secure, or declines. A decline throws the 402 card error Stripe answers with; the
 * PaymentIntent and its failed charge exist either way.
 */
export function attemptPayment(
  context: AttemptContext,
  intent: PaymentIntent,
  method: AttachedPaymentMethod,
  confirmation: ConfirmationOptions = {},
): void {
  intent.payment_method = method.paymentMethod.id;
  intent.last_payment_error = null;
  intent.next_action = null;
  const outcome = method.card.outcome;
  switch (outcome.kind) {
    case "succeed":
      chargeCard(context, intent, method);
      return;
    case "authenticate":
      requireAuthentication(context, intent, confirmation);
      return;
    case "decline":
      decline(context, intent, method, outcome.decline);
  }
}

/** Completes the 3D Secure step a customer would do in the browser. */
export function finishAuthentication(
  context: AttemptContext,
  intent: PaymentIntent,
  method: AttachedPaymentMethod,
  result: "succeed" | "fail",
): void {
  intent.next_action = null;
  if (result === "succeed") {
    chargeCard(context, intent, method);
    return;
  }
  intent.status = "requires_payment_method";
  intent.payment_method = null;
  intent.last_payment_error = {
    type: "invalid_request_error",
    code: "payment_intent_authentication_failure",
    message:
      "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
    doc_url: docUrl("payment_intent_authentication_failure"),
    payment_method: method.paymentMethod,
  };
  context.emit("payment_intent.payment_failed", intent);
}

function chargeCard(context: AttemptContext, intent: PaymentIntent, method: AttachedPaymentMethod): void {
  const manualCapture = intent.capture_method === "manual";
  const charge = newCharge(context, intent, method);
  if (manualCapture) {
    charge.captured = false;
    charge.amount_captured = 0;
  }
  context.account.charges.set(charge.id, charge);
  intent.latest_charge = charge.id;
  context.emit("charge.succeeded", charge);
  if (manualCapture) {
    intent.status = "requires_capture";
    intent.amount_capturable = intent.amount;
    context.emit("payment_intent.amount_capturable_updated", intent);
  } else {
    intent.status = "succeeded";
    intent.amount_received = intent.amount;
    context.emit("payment_intent.succeeded", intent);
    scheduleDispute(context.account, charge);
  }
}

/**
 * 3D Secure: the PaymentIntent waits in `requires_action` for the customer to answer the challenge
 * page (challenge-page.ts), which stands in for the card issuer's. Confirmed with a `return_url`
 * and without `use_stripe_sdk`, the next action is a redirect of the whole page to it, and back to
 * the `return_url` afterwards; otherwise Stripe.js (`handleNextAction`) shows it in a modal
 * (docs.stripe.com/payments/3d-secure, docs.stripe.com/payments/finalize-payments-on-the-server).
 */
function requireAuthentication(context: AttemptContext, intent: PaymentIntent, confirmation: ConfirmationOptions): void {
  const source = newId("src");
  const url = challengeUrl(context.baseUrl, intent.id, source);
  intent.status = "requires_action";
  intent.next_action =
    confirmation.returnUrl !== undefined && !confirmation.useStripeSdk
      ? { type: "redirect_to_url", redirect_to_url: { return_url: confirmation.returnUrl, url } }
      : { type: "use_stripe_sdk", use_stripe_sdk: { type: "three_d_secure_redirect", stripe_js: url, source } };
  context.emit("payment_intent.requires_action", intent);
}

/** The challenge page of one authentication attempt; `source` tells attempts apart. */
function challengeUrl(baseUrl: string, paymentIntentId: string, source: string): string {
  const query = new URLSearchParams({ payment_intent: paymentIntentId, source });
  return `${baseUrl}/3d_secure_2/hosted?${query.toString()}`;
}

/** The attempt a PaymentIntent's 3D Secure step is waiting on, if it is waiting. */
export function pendingChallengeSource(intent: PaymentIntent): string | undefined {
  if (intent.status !== "requires_action" || !intent.next_action) return undefined;
  const url =
    intent.next_action.type === "use_stripe_sdk" ? intent.next_action.use_stripe_sdk.stripe_js : intent.next_action.redirect_to_url.url;
  return new URL(url).searchParams.get("source") ?? undefined;
}

function decline(context: AttemptContext, intent: PaymentIntent, method: AttachedPaymentMethod, outcome: Decline): never {
  const generic = outcome.declineCode === "generic_decline";
  const charge: Charge = {
    ...newCharge(context, intent, method),
    status: "failed",
    paid: false,
    captured: false,
    amount_captured: 0,
    failure_code: outcome.code,
    failure_message: outcome.message,
    outcome: {
      advice_code: outcome.adviceCode ?? null,
      network_status: "declined_by_network",
      reason: outcome.declineCode,
      risk_level: "normal",
      seller_message: generic
        ? "The bank did not return any further details with this decline."
        : `The bank returned the decline code \`${outcome.declineCode}\`.`,
      type: "issuer_declined",
    },
  };
  context.account.charges.set(charge.id, charge);

  const error: PaymentError = {
    type: "card_error",
    code: outcome.code,
    decline_code: outcome.declineCode,
    ...(outcome.adviceCode === undefined ? {} : { advice_code: outcome.adviceCode }),
    ...(outcome.param === undefined ? {} : { param: outcome.param }),
    message: outcome.message,
    doc_url: docUrl(outcome.code),
    charge: charge.id,
    payment_method: method.paymentMethod,
  };
  intent.status = "requires_payment_method";
  intent.payment_method = null;
  intent.latest_charge = charge.id;
  intent.last_payment_error = error;
  context.emit("charge.failed", charge);
  context.emit("payment_intent.payment_failed", intent);
  throw new StripeApiError(402, { ...error, payment_intent: structuredClone(intent) }, true);
}

function newCharge(context: AttemptContext, intent: PaymentIntent, method: AttachedPaymentMethod): Charge {
  const { paymentMethod } = method;
  return {
    id: newId("ch"),
    object: "charge",
    amount: intent.amount,
    amount_captured: intent.amount,
    amount_refunded: 0,
    balance_transaction: null,
    billing_details: structuredClone(paymentMethod.billing_details),
    captured: true,
    created: context.nowSeconds(),
    currency: intent.currency,
    description: intent.description,
    disputed: false,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: { ...intent.metadata },
    outcome: {
      advice_code: null,
      network_status: "approved_by_network",
      reason: null,
      risk_level: "normal",
      seller_message: "Payment complete.",
      type: "authorized",
    },
    paid: true,
    payment_intent: intent.id,
    payment_method: paymentMethod.id,
    payment_method_details: { card: structuredClone(paymentMethod.card), type: "card" },
    receipt_email: intent.receipt_email,
    refunded: false,
    status: "succeeded",
  };
}
