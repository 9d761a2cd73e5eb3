/**
 * Currencies this app accepts, with Stripe's minimum charge in minor units
 * (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts) and our own ceiling.
 */
export const CURRENCIES = {
  usd: { label: "US dollar", minimum: 50, fractionDigits: 2 },
  eur: { label: "Euro", minimum: 50, fractionDigits: 2 },
  gbp: { label: "British pound", minimum: 30, fractionDigits: 2 },
  chf: { label: "Swiss franc", minimum: 50, fractionDigits: 2 },
  cad: { label: "Canadian dollar", minimum: 50, fractionDigits: 2 },
} as const;

export type Currency = keyof typeof CURRENCIES;

export const CURRENCY_CODES = Object.keys(CURRENCIES) as [Currency, ...Currency[]];

/** A sane ceiling for one card payment in this demo: 10,000.00 in any currency. */
export const MAXIMUM_AMOUNT = 1_000_000;
