import { createHash } from "node:crypto";
import { resourceMissing } from "./errors";
import { newId } from "./new-id";
import type { AdviceCode, DisputeReason, PaymentMethod } from "./objects";

export type CardOutcome =
  | { kind: "succeed" }
  | { kind: "authenticate" }
  | { kind: "decline"; decline: Decline };

/** The card error Stripe answers for a declined test card. */
export interface Decline {
  code: string;
  declineCode: string;
  message: string;
  /** Only where Stripe sets one (docs.stripe.com/declines/card#retrying-issuer-declines). */
  adviceCode?: AdviceCode;
  /** The card field at fault, e.g. `cvc`. */
  param?: string;
}

/** What happens after a successful charge: docs.stripe.com/testing#disputes and #refunds. */
export interface AfterCharge {
  /** The charge is disputed shortly after it is captured. */
  dispute?: DisputeReason;
  /**
   * How refunds of the charge settle: `fail` starts `succeeded` and fails later, `pending` starts
   * `pending` and succeeds later. Without it, refunds succeed at once and never change.
   */
  refunds?: "fail" | "pending";
}

export interface TestCard {
  /** The test PaymentMethod id Stripe documents, e.g. `pm_card_visa`. */
  token: string;
  brand: string;
  last4: string;
  outcome: CardOutcome;
  afterCharge?: AfterCharge;
}

const SUCCEED: CardOutcome = { kind: "succeed" };
const AUTHENTICATE: CardOutcome = { kind: "authenticate" };
const DECLINED = "Your card was declined.";

function declined(decline: Decline): CardOutcome {
  return { kind: "decline", decline };
}

// The subset of Stripe's documented test PaymentMethods the emulator understands
// (docs.stripe.com/testing, "PaymentMethods" tabs). Codes and decline codes are the documented
// ones (docs.stripe.com/testing#declined-payments, docs.stripe.com/declines/codes); advice codes
// and the `param` of card-data errors are what test mode answers for these cards. Lost and stolen
// cards get the generic message on purpose: Stripe does not tell the customer why.
const TEST_CARDS: readonly TestCard[] = [
  { token: "pm_card_visa", brand: "visa", last4: "4242", outcome: SUCCEED },
  { token: "pm_card_visa_debit", brand: "visa", last4: "5556", outcome: SUCCEED },
  { token: "pm_card_mastercard", brand: "mastercard", last4: "4444", outcome: SUCCEED },
  { token: "pm_card_amex", brand: "amex", last4: "8431", outcome: SUCCEED },
  ...withVisaAlias({
    token: "pm_card_chargeDeclined",
    brand: "visa",
    last4: "0002",
    outcome: declined({ code: "card_declined", declineCode: "generic_decline", message: DECLINED, adviceCode: "try_again_later" }),
  }),
  ...withVisaAlias({
    token: "pm_card_chargeDeclinedInsufficientFunds",
    brand: "visa",
    last4: "9995",
    outcome: declined({
      code: "card_declined",
      declineCode: "insufficient_funds",
      message: "Your card has insufficient funds.",
      adviceCode: "try_again_later",
    }),
  }),
  ...withVisaAlias({
    token: "pm_card_chargeDeclinedLostCard",
    brand: "visa",
    last4: "9987",
    outcome: declined({ code: "card_declined", declineCode: "lost_card", message: DECLINED, adviceCode: "do_not_try_again" }),
  }),
  ...withVisaAlias({
    token: "pm_card_chargeDeclinedStolenCard",
    brand: "visa",
    last4: "9979",
    outcome: declined({ code: "card_declined", declineCode: "stolen_card", message: DECLINED, adviceCode: "do_not_try_again" }),
  }),
  {
    token: "pm_card_chargeDeclinedFraudulent",
    brand: "visa",
    last4: "0019",
    outcome: declined({ code: "card_declined", declineCode: "fraudulent", message: DECLINED }),
  },
  {
    token: "pm_card_chargeDeclinedExpiredCard",
    brand: "visa",
    last4: "0069",
    outcome: declined({
      code: "expired_card",
      declineCode: "expired_card",
      message: "Your card has expired.",
      adviceCode: "confirm_card_data",
      param: "exp_month",
    }),
  },
  {
    token: "pm_card_chargeDeclinedIncorrectCvc",
    brand: "visa",
    last4: "0127",
    outcome: declined({
      code: "incorrect_cvc",
      declineCode: "incorrect_cvc",
      message: "Your card's security code is incorrect.",
      adviceCode: "confirm_card_data",
      param: "cvc",
    }),
  },
  {
    token: "pm_card_chargeDeclinedProcessingError",
    brand: "visa",
    last4: "0119",
    outcome: declined({
      code: "processing_error",
      declineCode: "processing_error",
      message: "An error occurred while processing your card. Try again in a little bit.",
      adviceCode: "try_again_later",
    }),
  },
  { token: "pm_card_authenticationRequired", brand: "visa", last4: "3184", outcome: AUTHENTICATE },
  { token: "pm_card_threeDSecure2Required", brand: "visa", last4: "3220", outcome: AUTHENTICATE },
  // docs.stripe.com/testing#disputes: "charge succeeds, only to be disputed as fraudulent" / "as product not received".
  { token: "pm_card_createDispute", brand: "visa", last4: "0259", outcome: SUCCEED, afterCharge: { dispute: "fraudulent" } },
  {
    token: "pm_card_createDisputeProductNotReceived",
    brand: "visa",
    last4: "2685",
    outcome: SUCCEED,
    afterCharge: { dispute: "product_not_received" },
  },
  // docs.stripe.com/testing#refunds: "Asynchronous success" and "Asynchronous failure".
  { token: "pm_card_pendingRefund", brand: "visa", last4: "7726", outcome: SUCCEED, afterCharge: { refunds: "pending" } },
  { token: "pm_card_refundFail", brand: "visa", last4: "5126", outcome: SUCCEED, afterCharge: { refunds: "fail" } },
];

/**
 * Stripe's testing page names the Visa declines `pm_card_visa_chargeDeclined…`; the shorter
 * `pm_card_chargeDeclined…` ids are accepted by Stripe too and are what most integrations use.
 */
function withVisaAlias(card: TestCard): TestCard[] {
  return [card, { ...card, token: card.token.replace("pm_card_", "pm_card_visa_") }];
}

/** The test card a token names, e.g. when restoring saved PaymentMethods. */
export function findTestCard(token: string): TestCard | undefined {
  return TEST_CARDS.find((candidate) => candidate.token === token);
}

export interface AttachedPaymentMethod {
  paymentMethod: PaymentMethod;
  card: TestCard;
}

/** What a `payment_method` parameter refers to; resolved during validation, attached on execution. */
export type PaymentMethodChoice =
  | { kind: "test_token"; card: TestCard }
  | { kind: "existing"; attached: AttachedPaymentMethod };

export function choosePaymentMethod(
  stored: ReadonlyMap<string, AttachedPaymentMethod>,
  id: string,
  param: string,
): PaymentMethodChoice {
  const card = findTestCard(id);
  if (card) return { kind: "test_token", card };
  const attached = stored.get(id);
  if (attached) return { kind: "existing", attached };
  throw resourceMissing("PaymentMethod", id, param);
}

/**
 * Like Stripe, a test token such as `pm_card_visa` becomes a new PaymentMethod (`pm_…`) each time
 * it is used; the PaymentIntent then refers to that id, and a later confirm can reuse it.
 */
export function attachPaymentMethod(
  stored: Map<string, AttachedPaymentMethod>,
  choice: PaymentMethodChoice,
  createdAt: number,
): AttachedPaymentMethod {
  if (choice.kind === "existing") return choice.attached;
  const { card } = choice;
  const paymentMethod: PaymentMethod = {
    id: newId("pm"),
    object: "payment_method",
    billing_details: {
      address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
      email: null,
      name: null,
      phone: null,
    },
    card: {
      brand: card.brand,
      country: "US",
      exp_month: 12,
      exp_year: new Date(createdAt * 1000).getUTCFullYear() + 3,
      // One per card number, as on Stripe: the `pm_card_visa_…` aliases share their card's.
      fingerprint: createHash("sha256").update(`${card.brand}:${card.last4}`).digest("base64url").slice(0, 16),
      funding: "credit",
      last4: card.last4,
    },
    created: createdAt,
    customer: null,
    livemode: false,
    metadata: {},
    type: "card",
  };
  const attached = { paymentMethod, card };
  stored.set(paymentMethod.id, attached);
  return attached;
}
