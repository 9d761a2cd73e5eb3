import { createPaymentSchema, type CreatePaymentInput } from "../schemas/payment";
import type { CheckoutDraft } from "./checkout-store";
import { parseAmount } from "./parse-amount";

export type DraftRequest = { ok: true; request: CreatePaymentInput } | { ok: false; error: string };

/**
 * The POST /api/payments body for what the form holds, checked with the same schema as the
 * server, or the message to show under the amount.
 */
export function draftRequest(draft: CheckoutDraft): DraftRequest {
  const amount = parseAmount(draft.amountText, draft.currency);
  if (!amount.ok) return amount;
  const parsed = createPaymentSchema.safeParse({
    amount: amount.amount,
    currency: draft.currency,
    paymentMethod: draft.paymentMethod,
  });
  return parsed.success ? { ok: true, request: parsed.data } : { ok: false, error: parsed.error.issues[0]?.message ?? "Invalid payment." };
}
