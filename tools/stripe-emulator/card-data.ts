import { StripeApiError, docUrl, invalidRequest, missingParam } from "./errors";
import type { BillingDetails } from "./objects";
import type { Params } from "./params";
import { type CardData, cardBehaviourOf, cardFingerprint, emptyBillingDetails } from "./test-payment-methods";

/** Card brands as Stripe names them, and how a number of each is laid out. */
interface Brand {
  brand: string;
  /** `display_brand` on a ConfirmationToken's preview. */
  displayBrand: string;
  prefix: RegExp;
  length: number;
  cvcLength: number;
}

// The issuer prefixes of the brands a test number can have (docs.stripe.com/testing#cards).
// assets/payment-frame.js checks numbers in the browser with the same prefixes, as Stripe.js
// does before the API checks them again; stripe-js-assets.test.ts keeps the two in step.
export const BRANDS: readonly Brand[] = [
  { brand: "amex", displayBrand: "american_express", prefix: /^3[47]/, length: 15, cvcLength: 4 },
  { brand: "diners", displayBrand: "diners_club", prefix: /^3(0[0-5]|[689])/, length: 14, cvcLength: 3 },
  { brand: "jcb", displayBrand: "jcb", prefix: /^35/, length: 16, cvcLength: 3 },
  { brand: "discover", displayBrand: "discover", prefix: /^(6011|64[4-9]|65)/, length: 16, cvcLength: 3 },
  { brand: "unionpay", displayBrand: "union_pay", prefix: /^62/, length: 16, cvcLength: 3 },
  { brand: "mastercard", displayBrand: "mastercard", prefix: /^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/, length: 16, cvcLength: 3 },
  { brand: "visa", displayBrand: "visa", prefix: /^4/, length: 16, cvcLength: 3 },
];

const UNKNOWN: Brand = { brand: "unknown", displayBrand: "other", prefix: /^/, length: 16, cvcLength: 3 };

/** How far ahead Stripe accepts an expiry year. */
const MAX_YEARS_AHEAD = 50;

export function brandOf(number: string): Brand {
  return BRANDS.find((candidate) => candidate.prefix.test(number)) ?? UNKNOWN;
}

export function passesLuhn(number: string): boolean {
  let sum = 0;
  for (let index = 0; index < number.length; index += 1) {
    let digit = Number(number[number.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * Raw card data (`card[number|exp_month|exp_year|cvc]`) checked as Stripe checks it, with the card
 * errors docs.stripe.com/testing#invalid-data documents: a number failing the Luhn check is
 * `incorrect_number`, an invalid month `invalid_expiry_month`, a year in the past
 * `invalid_expiry_year`, a CVC of the wrong length `invalid_cvc`. The CVC itself is optional, as in
 * Stripe's API ("card.cvc", docs.stripe.com/api/payment_methods/create); the Payment Element always
 * collects it.
 */
export function readCardData(card: Params, billingDetails: BillingDetails, now: Date): CardData {
  card.allowOnly(["number", "exp_month", "exp_year", "cvc"]);
  const number = card.requiredString("number").replace(/[\s-]/g, "");
  const rawMonth = card.requiredString("exp_month");
  const rawYear = card.requiredString("exp_year");
  const cvc = card.string("cvc");

  if (!/^\d{12,19}$/.test(number)) {
    throw cardError("invalid_number", "number", "The card number is not a valid credit card number.");
  }
  if (!passesLuhn(number)) throw cardError("incorrect_number", "number", "Your card number is incorrect.");
  const brand = brandOf(number);
  const month = /^\d{1,2}$/.test(rawMonth) ? Number(rawMonth) : NaN;
  if (!(month >= 1 && month <= 12)) {
    throw cardError("invalid_expiry_month", "exp_month", "Your card's expiration month is invalid.");
  }
  const year = /^\d{2}$/.test(rawYear) ? 2000 + Number(rawYear) : /^\d{4}$/.test(rawYear) ? Number(rawYear) : NaN;
  const thisYear = now.getUTCFullYear();
  if (!(year >= thisYear && year <= thisYear + MAX_YEARS_AHEAD)) {
    throw cardError("invalid_expiry_year", "exp_year", "Your card's expiration year is invalid.");
  }
  if (year === thisYear && month < now.getUTCMonth() + 1) {
    throw cardError("invalid_expiry_month", "exp_month", "Your card's expiration month is invalid.");
  }
  if (cvc !== undefined && !new RegExp(`^\\d{${brand.cvcLength}}$`).test(cvc)) {
    throw cardError("invalid_cvc", "cvc", "Your card's security code is invalid.");
  }

  const behaviour = cardBehaviourOf(number);
  const last4 = number.slice(-4);
  return {
    behaviour: behaviour.token,
    card: {
      brand: brand.brand,
      country: "US",
      exp_month: month,
      exp_year: year,
      fingerprint: cardFingerprint(brand.brand, last4),
      funding: behaviour.funding ?? "credit",
      last4,
    },
    billing_details: billingDetails,
  };
}

/** `display_brand` as a ConfirmationToken's preview shows it. */
export function displayBrandOf(brand: string): string {
  return [...BRANDS, UNKNOWN].find((candidate) => candidate.brand === brand)?.displayBrand ?? "other";
}

/** `billing_details[name|email|phone|address][…]`; what is not given is null, as on Stripe. */
export function readBillingDetails(params: Params | undefined): BillingDetails {
  const details = emptyBillingDetails();
  if (!params) return details;
  params.allowOnly(["address", "email", "name", "phone"]);
  details.email = params.string("email") || null;
  details.name = params.string("name") || null;
  details.phone = params.string("phone") || null;
  const address = params.object("address");
  if (address) {
    address.allowOnly(["city", "country", "line1", "line2", "postal_code", "state"]);
    for (const field of ["city", "country", "line1", "line2", "postal_code", "state"] as const) {
      details.address[field] = address.string(field) || null;
    }
  }
  return details;
}

/** `payment_method_data` / a PaymentMethod's parameters: `type=card` and the card itself. */
export function readCardPaymentMethod(params: Params, now: Date): CardData {
  const type = params.requiredString("type");
  if (type !== "card") {
    throw invalidRequest(`Invalid type: the Stripe emulator supports card payment methods only, not ${type}.`, {
      param: params.nameOf("type"),
    });
  }
  const card = params.object("card");
  if (!card) throw missingParam(params.nameOf("card"));
  return readCardData(card, readBillingDetails(params.object("billing_details")), now);
}

function cardError(code: string, param: string, message: string): StripeApiError {
  return new StripeApiError(402, { type: "card_error", code, param, message, doc_url: docUrl(code) });
}
