import type { Account } from "./accounts";
import { displayBrandOf, readCardPaymentMethod } from "./card-data";
import { invalidRequest, missingParam, resourceMissing } from "./errors";
import { newId } from "./new-id";
import type { ConfirmationToken } from "./objects";
import type { Params } from "./params";
import type { ApiContext, Route } from "./routes";
import { type CardData, type PaymentMethodChoice, choosePaymentMethod, findCardBehaviour, testTokenCardData } from "./test-payment-methods";

/**
 * How long a ConfirmationToken can be used: the 12 hours between `created` and `expires_at` in the
 * API reference's example object (docs.stripe.com/api/confirmation_tokens/object).
 */
const TOKEN_LIFETIME_SECONDS = 12 * 60 * 60;

/** A ConfirmationToken and the card behind it, which only a confirmation turns into a PaymentMethod. */
export interface StoredConfirmationToken {
  token: ConfirmationToken;
  method: { kind: "card_data"; data: CardData } | { kind: "payment_method"; id: string };
}

/**
 * `POST /v1/confirmation_tokens`, what Stripe.js's createConfirmationToken calls with the
 * publishable key: the Payment Element's card (`payment_method_data`), the page's `return_url`.
 * "Finalize payments on the server" (docs.stripe.com/payments/finalize-payments-on-the-server)
 * then confirms a PaymentIntent with it. The card is only checked for well-formedness here; a
 * declining or real card declines at confirmation, as a payment attempt.
 */
function createConfirmationToken(context: ApiContext): ConfirmationToken {
  const { params } = context;
  params.allowOnly(["payment_method_data", "return_url", "metadata"]);
  const pmData = params.object("payment_method_data");
  if (!pmData) throw missingParam("payment_method_data");
  return storeToken(context, { kind: "card_data", data: readPaymentMethodData(pmData, context) }, params, allowRedisplay(pmData));
}

/**
 * `POST /v1/test_helpers/confirmation_tokens`: Stripe's server-side way to make a token for tests
 * (docs.stripe.com/api/confirmation_tokens/test_create), from `payment_method` (a test token such
 * as `pm_card_visa`, or an existing `pm_…`) or `payment_method_data`.
 */
function createTestConfirmationToken(context: ApiContext): ConfirmationToken {
  const { params } = context;
  params.allowOnly(["payment_method", "payment_method_data", "return_url"]);
  const paymentMethodId = params.string("payment_method");
  const pmData = params.object("payment_method_data");
  if (paymentMethodId !== undefined && pmData) {
    throw invalidRequest("You may only specify one of these parameters: payment_method, payment_method_data.", {
      param: "payment_method",
    });
  }
  if (paymentMethodId !== undefined) {
    const choice = choosePaymentMethod(context.account.paymentMethods, paymentMethodId, "payment_method");
    return storeToken(context, tokenMethodOf(choice, context.nowSeconds()), params, "unspecified");
  }
  if (!pmData) throw missingParam("payment_method_data");
  return storeToken(context, { kind: "card_data", data: readPaymentMethodData(pmData, context) }, params, allowRedisplay(pmData));
}

function retrieveConfirmationToken(context: ApiContext): ConfirmationToken {
  context.params.allowOnly([]);
  const stored = context.account.confirmationTokens.get(context.resourceId);
  if (!stored) throw unknownToken(context.resourceId, "confirmation_token");
  return stored.token;
}

function readPaymentMethodData(pmData: Params, context: ApiContext): CardData {
  pmData.allowOnly(["type", "card", "billing_details", "allow_redisplay"]);
  return readCardPaymentMethod(pmData, new Date(context.nowSeconds() * 1000));
}

function allowRedisplay(pmData: Params): ConfirmationToken["payment_method_preview"]["allow_redisplay"] {
  return pmData.oneOf("allow_redisplay", ["always", "limited", "unspecified"] as const) ?? "unspecified";
}

function tokenMethodOf(choice: PaymentMethodChoice, createdAt: number): StoredConfirmationToken["method"] {
  switch (choice.kind) {
    case "existing":
      return { kind: "payment_method", id: choice.attached.paymentMethod.id };
    case "test_token":
      return { kind: "card_data", data: testTokenCardData(choice.card, createdAt) };
    case "card_data":
      return { kind: "card_data", data: choice.data };
  }
}

function storeToken(
  context: ApiContext,
  method: StoredConfirmationToken["method"],
  params: Params,
  redisplay: ConfirmationToken["payment_method_preview"]["allow_redisplay"],
): ConfirmationToken {
  const returnUrl = readReturnUrl(params) ?? null;
  const metadata = params.metadata() ?? {};
  const created = context.nowSeconds();
  const card = method.kind === "card_data" ? method.data : existingCard(context.account, method.id);
  const token: ConfirmationToken = {
    id: newId("ctoken"),
    object: "confirmation_token",
    created,
    expires_at: created + TOKEN_LIFETIME_SECONDS,
    livemode: false,
    mandate_data: null,
    metadata,
    payment_intent: null,
    payment_method_options: null,
    payment_method_preview: {
      allow_redisplay: redisplay,
      billing_details: structuredClone(card.billing_details),
      card: {
        brand: card.card.brand,
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: null },
        country: card.card.country,
        display_brand: displayBrandOf(card.card.brand),
        exp_month: card.card.exp_month,
        exp_year: card.card.exp_year,
        funding: card.card.funding,
        generated_from: null,
        last4: card.card.last4,
        networks: { available: [card.card.brand], preferred: null },
        three_d_secure_usage: { supported: true },
        wallet: null,
      },
      customer: null,
      type: "card",
    },
    return_url: returnUrl,
    setup_future_usage: null,
    setup_intent: null,
    shipping: null,
    // "Defaults to `true` on ConfirmationToken" (stripe-node's ConfirmationToken.use_stripe_sdk):
    // a 3D Secure step comes back as a next action for Stripe.js, not as a redirect.
    use_stripe_sdk: true,
  };
  context.account.confirmationTokens.set(token.id, { token, method });
  return token;
}

function existingCard(account: Account, id: string): Pick<CardData, "card" | "billing_details"> {
  const attached = account.paymentMethods.get(id);
  if (!attached) throw resourceMissing("PaymentMethod", id, "payment_method");
  return { card: attached.paymentMethod.card, billing_details: attached.paymentMethod.billing_details };
}

/** `return_url` must be an absolute http(s) URL: the customer's browser is sent there. */
export function readReturnUrl(params: Params): string | undefined {
  const value = params.string("return_url");
  if (value === undefined || value === "") return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidRequest("Not a valid URL", { param: "return_url" });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw invalidRequest("Not a valid URL", { param: "return_url" });
  return value;
}

/** A token that a PaymentIntent may be confirmed with, and the PaymentMethod it will become. */
export interface UsableConfirmationToken {
  stored: StoredConfirmationToken;
  choice: PaymentMethodChoice;
}

/**
 * The token named by `confirmation_token` on PaymentIntent create or confirm, refused when
 * unknown (404), expired, or already used: a ConfirmationToken confirms one intent, once. These
 * are checked before anything executes, so a refusal is not kept under an idempotency key.
 */
export function usableConfirmationToken(context: ApiContext, id: string): UsableConfirmationToken {
  const stored = context.account.confirmationTokens.get(id);
  if (!stored) throw unknownToken(id, "confirmation_token");
  const { token } = stored;
  if (token.payment_intent !== null) {
    throw invalidRequest(
      `This ConfirmationToken has already been used to confirm PaymentIntent ${token.payment_intent}. Create a new ConfirmationToken (stripe.createConfirmationToken) for each confirmation.`,
      { param: "confirmation_token" },
    );
  }
  if (context.nowSeconds() >= token.expires_at) {
    throw invalidRequest(
      "This ConfirmationToken has expired. Create a new ConfirmationToken (stripe.createConfirmationToken) and confirm with it.",
      { param: "confirmation_token" },
    );
  }
  return { stored, choice: choiceOf(context, stored) };
}

function choiceOf(context: ApiContext, stored: StoredConfirmationToken): PaymentMethodChoice {
  const { method } = stored;
  if (method.kind === "payment_method") {
    return choosePaymentMethod(context.account.paymentMethods, method.id, "confirmation_token");
  }
  if (!findCardBehaviour(method.data.behaviour)) throw unknownToken(stored.token.id, "confirmation_token");
  return { kind: "card_data", data: method.data };
}

// Stripe names the resource this way in this one message ("No such confirmationtoken").
function unknownToken(id: string, param: string) {
  return resourceMissing("confirmationtoken", id, param);
}

const SINGLE = { type: "confirmation_token", list: false } as const;

export const confirmationTokenRoutes: readonly Route[] = [
  { method: "POST", pattern: "/v1/confirmation_tokens", publishable: true, returns: SINGLE, handle: createConfirmationToken },
  { method: "GET", pattern: "/v1/confirmation_tokens/:id", returns: SINGLE, handle: retrieveConfirmationToken },
  { method: "POST", pattern: "/v1/test_helpers/confirmation_tokens", returns: SINGLE, handle: createTestConfirmationToken },
];
