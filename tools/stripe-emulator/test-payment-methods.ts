import { createHash } from "node:crypto";
import { resourceMissing } from "./errors";
import { newId } from "./new-id";
import type { PaymentMethod } from "./objects";

export type CardOutcome =
  | { kind: "succeed" }
  | { kind: "authenticate" }
  | { kind: "decline"; code: string; declineCode: string; message: string };

export interface TestCard {
  /** The test PaymentMethod id Stripe documents, e.g. `pm_card_visa`. */
  token: string;
  brand: string;
  last4: string;
  outcome: CardOutcome;
}

const SUCCEED: CardOutcome = { kind: "succeed" };
const AUTHENTICATE: CardOutcome = { kind: "authenticate" };

function declined(declineCode: string, message: string, code = "card_declined"): CardOutcome {
  return { kind: "decline", code, declineCode, message };
}

// The subset of Stripe's documented test PaymentMethods the emulator understands.
const TEST_CARDS: readonly TestCard[] = [
  { token: "pm_card_visa", brand: "visa", last4: "4242", outcome: SUCCEED },
  { token: "pm_card_visa_debit", brand: "visa", last4: "5556", outcome: SUCCEED },
  { token: "pm_card_mastercard", brand: "mastercard", last4: "4444", outcome: SUCCEED },
  { token: "pm_card_amex", brand: "amex", last4: "8431", outcome: SUCCEED },
  {
    token: "pm_card_chargeDeclined",
    brand: "visa",
    last4: "0002",
    outcome: declined("generic_decline", "Your card was declined."),
  },
  {
    token: "pm_card_chargeDeclinedInsufficientFunds",
    brand: "visa",
    last4: "9995",
    outcome: declined("insufficient_funds", "Your card has insufficient funds."),
  },
  {
    token: "pm_card_chargeDeclinedFraudulent",
    brand: "visa",
    last4: "0019",
    outcome: declined("fraudulent", "Your card was declined."),
  },
  {
    token: "pm_card_chargeDeclinedExpiredCard",
    brand: "visa",
    last4: "0069",
    outcome: declined("expired_card", "Your card has expired.", "expired_card"),
  },
  { token: "pm_card_authenticationRequired", brand: "visa", last4: "3184", outcome: AUTHENTICATE },
  { token: "pm_card_threeDSecure2Required", brand: "visa", last4: "3220", outcome: AUTHENTICATE },
];

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
  const card = TEST_CARDS.find((candidate) => candidate.token === id);
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
      fingerprint: createHash("sha256").update(card.token).digest("base64url").slice(0, 16),
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
