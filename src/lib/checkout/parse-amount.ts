import { CURRENCIES, MAXIMUM_AMOUNT, type Currency } from "../currencies";
import { formatMoney } from "../display-format";

export type ParsedAmount = { ok: true; amount: number } | { ok: false; error: string };

type Rules = {
  /** Minor units; a payment's default is the currency's Stripe minimum, a refund may be 1. */
  minimum?: number;
  /** Said when nothing was typed. */
  emptyMessage?: string;
};

/**
 * What the customer typed in major units ("25", "25.5", "25.50", "25,50") as an integer
 * number of minor units, or a message they can act on. Digits are combined as text, never
 * multiplied as floats: 0.29 * 100 is 28.999999999999996.
 */
export function parseAmount(text: string, currency: Currency, rules: Rules = {}): ParsedAmount {
  const { fractionDigits } = CURRENCIES[currency];
  const minimum = rules.minimum ?? CURRENCIES[currency].minimum;
  const example = formatMoney(2_500, currency);
  const cleaned = text.trim().replace(/\s+/g, "");
  if (cleaned === "") return { ok: false, error: rules.emptyMessage ?? "Enter an amount." };

  // A comma is accepted as the decimal separator; thousands separators are not, since
  // "1,250" would be ambiguous.
  const fraction = fractionDigits > 0 ? `(?:[.,](\\d{1,${fractionDigits}}))?` : "";
  const match = new RegExp(`^(\\d{1,9})${fraction}$`).exec(cleaned);
  if (!match) {
    return { ok: false, error: `Enter an amount in ${currency.toUpperCase()} with at most ${fractionDigits} decimals, like ${example}.` };
  }
  const whole = match[1] ?? "0";
  const decimals = (match[2] ?? "").padEnd(fractionDigits, "0");
  const amount = Number(whole + decimals);

  if (amount < minimum) {
    return { ok: false, error: amount === 0 ? "Enter an amount above zero." : `The minimum is ${formatMoney(minimum, currency)}.` };
  }
  if (amount > MAXIMUM_AMOUNT) {
    return { ok: false, error: `The maximum is ${formatMoney(MAXIMUM_AMOUNT, currency)}.` };
  }
  return { ok: true, amount };
}

/** Minor units as an amount field shows them, which parseAmount reads back: (2550, "eur") → "25.50". */
export function amountText(amount: number, currency: Currency): string {
  const digits = CURRENCIES[currency].fractionDigits;
  const text = String(amount).padStart(digits + 1, "0");
  return digits > 0 ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
}
