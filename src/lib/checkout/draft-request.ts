import type { PaymentTerms } from "./payment-attempt";
import type { CheckoutDraft } from "./checkout-store";
import { parseAmount } from "./parse-amount";

export type DraftTerms = { ok: true; terms: PaymentTerms } | { ok: false; error: string };

/**
 * What the form asks to pay, or the message to show under the amount. The amount's rules
 * (minimum per currency, maximum) are parseAmount's, the same as the server's schema.
 */
export function draftTerms(draft: CheckoutDraft): DraftTerms {
  const amount = parseAmount(draft.amountText, draft.currency);
  return amount.ok ? { ok: true, terms: { amount: amount.amount, currency: draft.currency } } : amount;
}
