import { createHash } from "node:crypto";
import { resourceMissing } from "./errors";
import { newId } from "./new-id";
import type { AdviceCode, BillingDetails, CardDetails, CardFunding, DisputeReason, PaymentMethod } from "./objects";

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
  /** The card numbers docs.stripe.com/testing documents for the same behaviour, as typed into a form. */
  numbers: readonly string[];
  brand: string;
  /** Of the card behind `token`; a PaymentMethod made from a number shows that number's last four. */
  last4: string;
  /** "credit" unless the testing page says otherwise. */
  funding?: CardFunding;
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
  { token: "pm_card_visa", numbers: ["4242424242424242"], brand: "visa", last4: "4242", outcome: SUCCEED },
  { token: "pm_card_visa_debit", numbers: ["4000056655665556"], brand: "visa", last4: "5556", funding: "debit", outcome: SUCCEED },
  { token: "pm_card_mastercard", numbers: ["5555555555554444"], brand: "mastercard", last4: "4444", outcome: SUCCEED },
  { token: "pm_card_amex", numbers: ["378282246310005", "371449635398431"], brand: "amex", last4: "8431", outcome: SUCCEED },
  ...withVisaAlias({
    token: "pm_card_chargeDeclined",
    numbers: ["4000000000000002"],
    brand: "visa",
    last4: "0002",
    outcome: declined({ code: "card_declined", declineCode: "generic_decline", message: DECLINED, adviceCode: "try_again_later" }),
  }),
  ...withVisaAlias({
    token: "pm_card_chargeDeclinedInsufficientFunds",
    numbers: ["4000000000009995"],
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
    numbers: ["4000000000009987"],
    brand: "visa",
    last4: "9987",
    outcome: declined({ code: "card_declined", declineCode: "lost_card", message: DECLINED, adviceCode: "do_not_try_again" }),
  }),
  ...withVisaAlias({
    token: "pm_card_chargeDeclinedStolenCard",
    numbers: ["4000000000009979"],
    brand: "visa",
    last4: "9979",
    outcome: declined({ code: "card_declined", declineCode: "stolen_card", message: DECLINED, adviceCode: "do_not_try_again" }),
  }),
  {
    token: "pm_card_chargeDeclinedFraudulent",
    numbers: ["4100000000000019"],
    brand: "visa",
    last4: "0019",
    outcome: declined({ code: "card_declined", declineCode: "fraudulent", message: DECLINED }),
  },
  {
    token: "pm_card_chargeDeclinedExpiredCard",
    numbers: ["4000000000000069"],
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
    numbers: ["4000000000000127"],
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
    numbers: ["4000000000000119"],
    brand: "visa",
    last4: "0119",
    outcome: declined({
      code: "processing_error",
      declineCode: "processing_error",
      message: "An error occurred while processing your card. Try again in a little bit.",
      adviceCode: "try_again_later",
    }),
  },
  { token: "pm_card_authenticationRequired", numbers: ["4000002760003184"], brand: "visa", last4: "3184", outcome: AUTHENTICATE },
  { token: "pm_card_threeDSecure2Required", numbers: ["4000000000003220"], brand: "visa", last4: "3220", outcome: AUTHENTICATE },
  // docs.stripe.com/testing#disputes: "charge succeeds, only to be disputed as fraudulent" / "as product not received".
  {
    token: "pm_card_createDispute",
    numbers: ["4000000000000259"],
    brand: "visa",
    last4: "0259",
    outcome: SUCCEED,
    afterCharge: { dispute: "fraudulent" },
  },
  {
    token: "pm_card_createDisputeProductNotReceived",
    numbers: ["4000000000002685"],
    brand: "visa",
    last4: "2685",
    outcome: SUCCEED,
    afterCharge: { dispute: "product_not_received" },
  },
  // docs.stripe.com/testing#refunds: "Asynchronous success" and "Asynchronous failure".
  {
    token: "pm_card_pendingRefund",
    numbers: ["4000000000007726"],
    brand: "visa",
    last4: "7726",
    outcome: SUCCEED,
    afterCharge: { refunds: "pending" },
  },
  { token: "pm_card_refundFail", numbers: ["4000000000005126"], brand: "visa", last4: "5126", outcome: SUCCEED, afterCharge: { refunds: "fail" } },
];

/**
 * Stripe's testing page names the Visa declines `pm_card_visa_chargeDeclined…`; the shorter
 * `pm_card_chargeDeclined…` ids are accepted by Stripe too and are what most integrations use.
 */
function withVisaAlias(card: TestCard): TestCard[] {
  return [card, { ...card, token: card.token.replace("pm_card_", "pm_card_visa_") }];
}

/**
 * How test mode treats a card number that passes the Luhn check but is not one of its test cards:
 * as a real card, which it declines (`test_mode_live_card`, with the message Stripe answers; e.g.
 * hyperswitch's Stripe connector tests and many integrations quote it verbatim).
 */
export const LIVE_CARD_DECLINE: Decline = {
  code: "card_declined",
  declineCode: "test_mode_live_card",
  message:
    "Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing.",
};

export const LIVE_CARD: TestCard = {
  token: "live_card",
  numbers: [],
  brand: "unknown",
  last4: "",
  outcome: declined(LIVE_CARD_DECLINE),
};

/** The test card a `pm_card_…` token names; other ids are not test tokens. */
export function findTestCard(token: string): TestCard | undefined {
  return TEST_CARDS.find((candidate) => candidate.token === token);
}

/** How a card number behaves: a test card's behaviour, or that of a live card. */
export function cardBehaviourOf(number: string): TestCard {
  return TEST_CARDS.find((candidate) => candidate.numbers.includes(number)) ?? LIVE_CARD;
}

/** The behaviour saved under `key` (a test card's token, or the live card's), when restoring state. */
export function findCardBehaviour(key: string): TestCard | undefined {
  return key === LIVE_CARD.token ? LIVE_CARD : findTestCard(key);
}

export interface AttachedPaymentMethod {
  paymentMethod: PaymentMethod;
  card: TestCard;
}

/**
 * A card that will become a new PaymentMethod: typed-in card data (a ConfirmationToken's), or a
 * test token's card. Plain data, so that a ConfirmationToken holding one can be saved.
 */
export interface CardData {
  /** The key of its behaviour (findCardBehaviour). */
  behaviour: string;
  card: CardDetails;
  billing_details: BillingDetails;
}

/** What a `payment_method` parameter refers to; resolved during validation, attached on execution. */
export type PaymentMethodChoice =
  | { kind: "test_token"; card: TestCard }
  | { kind: "card_data"; data: CardData }
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

export function emptyBillingDetails(): BillingDetails {
  return {
    address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
    email: null,
    name: null,
    phone: null,
  };
}

/** One per card number, as on Stripe: the `pm_card_visa_…` aliases share their card's. */
export function cardFingerprint(brand: string, last4: string): string {
  return createHash("sha256").update(`${brand}:${last4}`).digest("base64url").slice(0, 16);
}

/** The card of a test token: its brand and last four, expiring in December three years on. */
export function testTokenCardData(card: TestCard, createdAt: number): CardData {
  return {
    behaviour: card.token,
    card: {
      brand: card.brand,
      country: "US",
      exp_month: 12,
      exp_year: new Date(createdAt * 1000).getUTCFullYear() + 3,
      fingerprint: cardFingerprint(card.brand, card.last4),
      funding: card.funding ?? "credit",
      last4: card.last4,
    },
    billing_details: emptyBillingDetails(),
  };
}

/**
 * Like Stripe, a test token such as `pm_card_visa` becomes a new PaymentMethod (`pm_…`) each time
 * it is used, and so does the card of a ConfirmationToken; the PaymentIntent then refers to that
 * id, and a later confirm can reuse it.
 */
export function attachPaymentMethod(
  stored: Map<string, AttachedPaymentMethod>,
  choice: PaymentMethodChoice,
  createdAt: number,
): AttachedPaymentMethod {
  switch (choice.kind) {
    case "existing":
      return choice.attached;
    case "test_token":
      return storePaymentMethod(stored, testTokenCardData(choice.card, createdAt), createdAt);
    case "card_data":
      return storePaymentMethod(stored, choice.data, createdAt);
  }
}

/** A new `pm_…` PaymentMethod of a card, kept in the account's PaymentMethods. */
export function storePaymentMethod(
  stored: Map<string, AttachedPaymentMethod>,
  data: CardData,
  createdAt: number,
  metadata: Record<string, string> = {},
): AttachedPaymentMethod {
  const card = findCardBehaviour(data.behaviour) ?? LIVE_CARD;
  const paymentMethod: PaymentMethod = {
    id: newId("pm"),
    object: "payment_method",
    billing_details: structuredClone(data.billing_details),
    card: structuredClone(data.card),
    created: createdAt,
    customer: null,
    livemode: false,
    metadata,
    type: "card",
  };
  const attached = { paymentMethod, card };
  stored.set(paymentMethod.id, attached);
  return attached;
}
