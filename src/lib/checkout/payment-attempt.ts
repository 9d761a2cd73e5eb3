import type { ErrorCode } from "../error-codes";
import type { CreatePaymentInput } from "../schemas/payment";
import type { PaymentOutcome } from "./submit-payment";

/**
 * One logical payment: the Idempotency-Key and the exact request it was first sent with.
 *
 * - `sending`: a request with this key is (or, after a reload, may still be) running; a
 *   page loaded shortly after resumes it (attemptToResume).
 * - `unresolved`: every retry failed transiently, so the payment may or may not have
 *   happened; paying again with the same details reuses the key, so the server answers
 *   with what happened instead of charging again.
 *
 * A final answer ends the attempt (see settleAttempt): the next Pay is a new payment.
 */
export type PaymentAttempt = {
  key: string;
  request: CreatePaymentInput;
  state: "sending" | "unresolved";
  startedAt: string;
};

/**
 * The attempt a Pay click sends: the current one again when the customer pays for exactly
 * the same thing (a retry), otherwise a new one with a new key (amount, currency or card
 * changed: a different payment, which must not replay the old answer or get a 422).
 */
export function attemptFor(
  current: PaymentAttempt | null,
  request: CreatePaymentInput,
  newKey: () => string,
  now: Date = new Date(),
): PaymentAttempt {
  if (current && sameRequest(current.request, request)) return { ...current, state: "sending" };
  return { key: newKey(), request, state: "sending", startedAt: now.toISOString() };
}

/**
 * Refusals that say nothing about the payment itself (an earlier try of the key may have gone
 * through), so the key is kept for when the customer signs in again or waits; and a payment
 * that was processed but is not recorded yet: paying again must replay it, never charge anew.
 */
const KEY_KEEPING_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["unauthorized", "rate_limited", "outcome_not_recorded"]);

/**
 * What is left of the attempt once `outcome` arrived: nothing after a final answer (a
 * payment, a decline, or a problem whose code says this request is wrong), the same key
 * otherwise: no answer at all, a code in KEY_KEEPING_CODES, or an answer without one of the
 * API's codes (a proxy's page, a code from a later release), which says nothing certain
 * about the payment. Keeping a key is always safe: the server replays or runs it once.
 */
export function settleAttempt(attempt: PaymentAttempt, outcome: PaymentOutcome): PaymentAttempt | null {
  if (outcome.kind === "payment" || outcome.kind === "declined") return null;
  const keepsKey = outcome.kind === "unanswered" || outcome.code === null || KEY_KEEPING_CODES.has(outcome.code);
  if (!keepsKey) return null;
  return { ...attempt, state: "unresolved" };
}

/** How long after it started a payment interrupted by a reload is resumed without a click. */
const RESUME_WITHIN_MS = 10 * 60_000;

/**
 * The attempt a freshly loaded page sends by itself: one that was in flight when the page
 * went away, shortly before. A tab restored hours later waits for the customer to click Pay
 * (with the same key) instead of charging out of the blue.
 */
export function attemptToResume(attempt: PaymentAttempt | null, now: Date = new Date()): PaymentAttempt | null {
  if (attempt?.state !== "sending") return null;
  const age = now.getTime() - Date.parse(attempt.startedAt);
  return age >= 0 && age <= RESUME_WITHIN_MS ? attempt : null;
}

function sameRequest(a: CreatePaymentInput, b: CreatePaymentInput): boolean {
  return (
    a.amount === b.amount &&
    a.currency === b.currency &&
    a.paymentMethod === b.paymentMethod &&
    (a.description ?? null) === (b.description ?? null)
  );
}
