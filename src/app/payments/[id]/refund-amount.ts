import { amountText, parseAmount, type ParsedAmount } from "@/lib/checkout/parse-amount";
import { CURRENCY_CODES, type Currency } from "@/lib/currencies";

/** Payments are made in our currencies; one from elsewhere is read with two decimals, as most are. */
function currencyOf(code: string): Currency {
  return (CURRENCY_CODES as readonly string[]).includes(code) ? (code as Currency) : "usd";
}

/**
 * A refund amount typed in major units, read as the checkout reads a payment's, but without
 * the currency's minimum charge: a refund may be a single cent. Whether it is more than is
 * left is the server's to say: it has the latest word.
 */
export function parseRefundAmount(text: string, currency: string): ParsedAmount {
  return parseAmount(text, currencyOf(currency), { minimum: 1, emptyMessage: "Enter an amount to refund." });
}

/** Minor units as the refund field shows them: (2550, "eur") → "25.50". */
export function refundAmountText(amount: number, currency: string): string {
  return amountText(amount, currencyOf(currency));
}
