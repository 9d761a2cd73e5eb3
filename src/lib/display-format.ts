import { CURRENCIES, type Currency } from "./currencies";

/*
 * How money, moments and cards read on every page. One locale, English (United States), for
 * money ("€19.99", "$12.34") and dates, whatever the browser's or the server's, so that tests
 * can assert the text. Times are on a 24-hour clock (a 12-hour clock's "PM" is preceded by a
 * space or U+202F depending on the ICU version) and labelled with their time zone: UTC where
 * the text must be the same on the server and in the browser (a server-rendered page then
 * hydrates without a mismatch), the viewer's own once the page runs in the browser
 * (src/components/local-time.tsx).
 */
const DISPLAY_LOCALE = "en-US";
const DISPLAY_TIME_ZONE = "UTC";

/** "Nov 25, 2026, 23:30 UTC": dateStyle "medium" and timeStyle "short", which cannot be combined with timeZoneName. */
const DATE_TIME_OPTIONS = {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
  timeZoneName: "short",
} as const satisfies Intl.DateTimeFormatOptions;

const utcDateTime = new Intl.DateTimeFormat(DISPLAY_LOCALE, { ...DATE_TIME_OPTIONS, timeZone: DISPLAY_TIME_ZONE });

/** An amount in minor units, e.g. (1999, "eur") → "€19.99". */
export function formatMoney(amount: number, currency: string): string {
  const digits = CURRENCIES[currency as Currency]?.fractionDigits ?? 2;
  return new Intl.NumberFormat(DISPLAY_LOCALE, { style: "currency", currency: currency.toUpperCase() }).format(amount / 10 ** digits);
}

/**
 * A moment for a `<time>` element: machine-readable `iso` and the `text` people read, in UTC,
 * e.g. "Nov 25, 2026, 23:30 UTC".
 */
export function formatTimestamp(date: Date): { iso: string; text: string } {
  return { iso: date.toISOString(), text: utcDateTime.format(date) };
}

/**
 * A moment in a time zone, labelled with it: "Nov 26, 2026, 00:30 GMT+1". Without one, the
 * runtime's: in a browser, the viewer's. Only the browser calls it so (the server's zone is
 * nobody's); the server renders formatTimestamp's UTC.
 */
export function formatZonedTimestamp(date: Date, timeZone?: string): string {
  return new Intl.DateTimeFormat(DISPLAY_LOCALE, { ...DATE_TIME_OPTIONS, timeZone }).format(date);
}

/** Stripe's card brands (`payment_method.card.brand`) as their owners write them. */
const CARD_BRANDS: Record<string, string> = {
  visa: "Visa",
  mastercard: "Mastercard",
  amex: "American Express",
  discover: "Discover",
  diners: "Diners Club",
  jcb: "JCB",
  unionpay: "UnionPay",
  cartes_bancaires: "Cartes Bancaires",
  eftpos_au: "eftpos Australia",
  link: "Link",
  // Stripe could not tell the brand: "Card •••• 4242" rather than "Unknown •••• 4242".
  unknown: "Card",
};

/** A card brand as Stripe names it, for people: "amex" → "American Express"; a brand added later → "New brand". */
export function formatCardBrand(brand: string): string {
  const known = Object.hasOwn(CARD_BRANDS, brand) ? CARD_BRANDS[brand] : undefined;
  if (known) return known;
  const words = brand.replaceAll("_", " ").trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : "Card";
}

/** Stripe's dispute statuses, as a customer reads them. */
const DISPUTE_STATUSES: Record<string, string> = {
  warning_needs_response: "inquiry opened",
  needs_response: "awaiting the merchant's response",
  warning_under_review: "inquiry under review",
  under_review: "under review by the bank",
  won: "resolved for the merchant",
  lost: "resolved for the cardholder",
  warning_closed: "inquiry closed",
  prevented: "prevented",
};

/** A dispute's status as Stripe names it, for people; a status added later shows in words. */
export function formatDisputeStatus(status: string): string {
  return (Object.hasOwn(DISPUTE_STATUSES, status) ? DISPUTE_STATUSES[status] : undefined) ?? status.replaceAll("_", " ");
}
