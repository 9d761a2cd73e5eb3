// Stripe's minimum charge amounts (in minor units) for the currencies the emulator accepts.
// Stripe supports many more presentment currencies; these cover what a test or demo needs and
// each one has a documented minimum, which is what amount validation depends on.
const MINIMUM_CHARGE_AMOUNTS: Readonly<Record<string, number>> = {
  usd: 50,
  aed: 200,
  aud: 50,
  bgn: 100,
  brl: 50,
  cad: 50,
  chf: 50,
  czk: 1500,
  dkk: 250,
  eur: 50,
  gbp: 30,
  hkd: 400,
  huf: 17500,
  inr: 50,
  jpy: 50,
  mxn: 1000,
  myr: 200,
  nok: 300,
  nzd: 50,
  pln: 200,
  ron: 200,
  sek: 300,
  sgd: 50,
  thb: 1000,
};

/** Stripe's ceiling for a single charge, in minor units (e.g. $999,999.99). */
export const MAXIMUM_CHARGE_AMOUNT = 99_999_999;

export const SUPPORTED_CURRENCIES: readonly string[] = Object.keys(MINIMUM_CHARGE_AMOUNTS);

export function minimumChargeAmount(currency: string): number | undefined {
  return MINIMUM_CHARGE_AMOUNTS[currency];
}

// Currencies Stripe treats as zero-decimal among the supported ones. HUF is two-decimal at Stripe
// even though ISO says otherwise, which is why Intl's digits are not used here.
const ZERO_DECIMAL = new Set(["jpy"]);

/** "$0.50" style, as Stripe writes amounts in error messages. */
export function formatAmount(amount: number, currency: string): string {
  const digits = ZERO_DECIMAL.has(currency) ? 0 : 2;
  return new Intl.NumberFormat("en-US", {
    style: "currency",
    currency: currency.toUpperCase(),
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(amount / 10 ** digits);
}
