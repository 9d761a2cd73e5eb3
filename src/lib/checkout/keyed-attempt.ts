import { z } from "zod";
import type { ErrorCode } from "../error-codes";
import type { Rejected, Unanswered } from "./keyed-request";

/**
 * One logical operation of the browser (a payment, a refund): its Idempotency-Key and the
 * exact request it was first sent with, kept in the tab's sessionStorage from before the first
 * request until a final answer.
 *
 * - `sending`: a request with this key is (or, after a reload, may still be) running; a page
 *   loaded shortly after resumes it (attemptToResume).
 * - `unresolved`: every retry failed transiently, so the operation may or may not have
 *   happened; doing the same thing again reuses the key, so the server answers with what
 *   happened instead of doing it twice.
 */
export type KeyedAttempt<Request> = {
  key: string;
  request: Request;
  state: "sending" | "unresolved";
  startedAt: string;
};

/** How an attempt is stored: the request as sent, checked with the schema the server uses (a resend must be byte-identical, or the key answers 422). */
export function keyedAttemptSchema<S extends z.ZodType>(request: S) {
  return z.object({
    key: z.string().min(1).max(255),
    request,
    state: z.enum(["sending", "unresolved"]),
    startedAt: z.string(),
  });
}

/** A new logical operation: its own key, sent from now on with exactly this request. */
export function newKeyedAttempt<Request>(request: Request, key: string, now: Date = new Date()): KeyedAttempt<Request> {
  return { key, request, state: "sending", startedAt: now.toISOString() };
}

/**
 * Refusals that say nothing about the operation itself (an earlier try of the key may have
 * gone through), so the key is kept for when the customer signs in again or waits; and an
 * operation processed at Stripe but not recorded yet: doing it again must replay it.
 */
const KEY_KEEPING_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["unauthorized", "rate_limited", "outcome_not_recorded"]);

/**
 * What is left of an attempt after an answer that is not the operation's result: the same key
 * (`unresolved`) after no answer at all, a code in KEY_KEEPING_CODES, or an answer without one
 * of the API's codes (a proxy's page, a code from a later release), which says nothing
 * certain; nothing after a refusal whose code says the request itself is wrong. Keeping a key
 * is always safe: the server replays or runs it once.
 */
export function attemptAfterProblem<A extends KeyedAttempt<unknown>>(attempt: A, outcome: Rejected | Unanswered): A | null {
  const keepsKey = outcome.kind === "unanswered" || outcome.code === null || KEY_KEEPING_CODES.has(outcome.code);
  return keepsKey ? { ...attempt, state: "unresolved" } : null;
}

/** How long after it started an attempt interrupted by a reload is resumed without a click. */
const RESUME_WITHIN_MS = 10 * 60_000;

/**
 * The attempt a freshly loaded page sends by itself: one that was in flight when the page
 * went away, shortly before. A tab restored hours later waits for a click (with the same key)
 * instead of charging or refunding out of the blue.
 */
export function attemptToResume<A extends KeyedAttempt<unknown>>(attempt: A | null, now: Date = new Date()): A | null {
  if (attempt?.state !== "sending") return null;
  const age = now.getTime() - Date.parse(attempt.startedAt);
  return age >= 0 && age <= RESUME_WITHIN_MS ? attempt : null;
}
