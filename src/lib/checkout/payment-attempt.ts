import type { CreatePaymentInput } from "../schemas/payment";
import { attemptAfterProblem, type KeyedAttempt } from "./keyed-attempt";
import type { PaymentOutcome } from "./submit-payment";

export { attemptToResume, newKeyedAttempt as newAttempt } from "./keyed-attempt";

/** One logical payment (keyed-attempt.ts): its key, and the request with its card token. */
export type PaymentAttempt = KeyedAttempt<CreatePaymentInput>;

/** What the customer pays for, whatever card: the part of a request the form decides. */
export type PaymentTerms = Pick<CreatePaymentInput, "amount" | "currency" | "description">;

/**
 * The attempt a Pay click sends again: the current one when the customer pays for exactly
 * the same thing (a retry, with the same key and the same card token), otherwise null: a new
 * payment, which needs a new card token and a new key (amount, currency or description
 * changed must not replay the old answer or get a 422).
 */
export function reusableAttempt(current: PaymentAttempt | null, terms: PaymentTerms): PaymentAttempt | null {
  return current && sameTerms(current.request, terms) ? { ...current, state: "sending" } : null;
}

/**
 * What is left of the attempt once `outcome` arrived: nothing after a payment or a decline
 * (final answers: the next Pay is a new payment), otherwise as attemptAfterProblem says.
 */
export function settleAttempt(attempt: PaymentAttempt, outcome: PaymentOutcome): PaymentAttempt | null {
  if (outcome.kind === "payment" || outcome.kind === "declined") return null;
  return attemptAfterProblem(attempt, outcome);
}

function sameTerms(a: PaymentTerms, b: PaymentTerms): boolean {
  return a.amount === b.amount && a.currency === b.currency && (a.description ?? null) === (b.description ?? null);
}
