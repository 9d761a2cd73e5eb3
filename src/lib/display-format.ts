import { CURRENCIES, type Currency } from "./currencies";

/*
 * How money and moments read on every page: one locale and one time zone, fixed rather than
 * the browser's or the server's, so that the same data formatted on the server (the payment
 * history) and in the browser (the checkout) reads the same, a server-rendered page hydrates
 * without a mismatch, and tests can assert the text. English (United States) for both money
 * ("€19.99", "$12.34") and dates; times on a 24-hour clock in UTC, and labelled so (a 12-hour
 * clock's "PM" is preceded by a space or U+202F depending on the ICU version).
 */
const DISPLAY_LOCALE = "en-US";
const DISPLAY_TIME_ZONE = "UTC";

const dateTime = new Intl.DateTimeFormat(DISPLAY_LOCALE, {
  dateStyle: "medium",
  timeStyle: "short",
  hourCycle: "h23",
  timeZone: DISPLAY_TIME_ZONE,
});

/** An amount in minor units, e.g. (1999, "eur") → "€19.99". */
export function formatMoney(amount: number, currency: string): string {
  const digits = CURRENCIES[currency as Currency]?.fractionDigits ?? 2;
  return new Intl.NumberFormat(DISPLAY_LOCALE, { style: "currency", currency: currency.toUpperCase() }).format(amount / 10 ** digits);
}

/**
 * A moment for a `<time>` element: machine-readable `iso` and the `text` people read, e.g.
 * "Nov 25, 2026, 23:30 UTC".
 */
export function formatTimestamp(date: Date): { iso: string; text: string } {
  return { iso: date.toISOString(), text: `${dateTime.format(date)} ${DISPLAY_TIME_ZONE}` };
}
