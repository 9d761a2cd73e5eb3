import { CURRENCIES, type Currency } from "./currencies";

/** Formats an amount in minor units for display, e.g. (1999, "eur") → "€19.99". */
export function formatMoney(amount: number, currency: string, locale?: string): string {
  const digits = CURRENCIES[currency as Currency]?.fractionDigits ?? 2;
  return new Intl.NumberFormat(locale, { style: "currency", currency: currency.toUpperCase() }).format(
    amount / 10 ** digits,
  );
}
