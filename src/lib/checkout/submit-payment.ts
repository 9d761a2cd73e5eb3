import { isErrorCode, type ErrorCode } from "../error-codes";
import { PAYMENTS_PATH } from "../routes";
import type { CreatePaymentInput } from "../schemas/payment";
import { tolerantPaymentResponseSchema, type TolerantPaymentResponse } from "../schemas/payment-response";
import { tolerantProblemSchema, type TolerantProblem } from "../schemas/problem";
import { retryDelayMs } from "./retry-delay";

/** Attempts in all, the first included: about 15 s of backoff before giving up. */
export const MAX_ATTEMPTS = 6;
/** RFC 7240 `Prefer: wait`: a duplicate waits this long for the first request's answer instead of a 409. */
const PREFER_WAIT_SECONDS = 5;

/** Why the previous attempt is being retried. */
export type RetryReason = "network" | "in_progress" | "unavailable";

/**
 * How a keyed payment request ended. `payment` and `declined` are final answers that the
 * server stored for this key; `rejected` is a refusal that retrying at once cannot change,
 * with the API's error `code` (null when the answer was not one of this API's problems, or
 * named a code this page does not know); `unanswered` means every attempt failed
 * transiently and the outcome is unknown.
 */
export type PaymentOutcome =
  | { kind: "payment"; payment: TolerantPaymentResponse; replayed: boolean }
  | { kind: "declined"; payment: TolerantPaymentResponse | null; declineCode: string | null; message: string; replayed: boolean }
  | { kind: "rejected"; status: number; code: ErrorCode | null; message: string }
  | { kind: "unanswered"; reason: RetryReason; message: string };

type Options = {
  key: string;
  request: CreatePaymentInput;
  /** Called before each attempt; `retrying` is null for the first. */
  onAttempt?: (attempt: number, retrying: RetryReason | null) => void;
  maxAttempts?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
};

type Answer = { done: PaymentOutcome } | { retry: RetryReason; retryAfter: string | null };

/**
 * POSTs the payment with its Idempotency-Key and retries with the same key and body
 * until a final answer: on a network error, while the first request with this key is still
 * running, while the service or the payment provider is unavailable, or when the body
 * could not be read (a 201 lost half-way is replayed by the retry). Retrying is safe
 * because the server runs a key at most once.
 */
export async function submitPayment(options: Options): Promise<PaymentOutcome> {
  const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  const send = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let retrying: RetryReason | null = null;

  for (let attempt = 1; ; attempt++) {
    options.onAttempt?.(attempt, retrying);
    const answer = await sendOnce(send, options);
    if ("done" in answer) return answer.done;
    if (attempt >= maxAttempts) return unanswered(answer.retry);
    retrying = answer.retry;
    await sleep(retryDelayMs(attempt, answer.retryAfter, options.random));
  }
}

async function sendOnce(send: typeof fetch, options: Options): Promise<Answer> {
  let response: Response;
  try {
    response = await send(PAYMENTS_PATH, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, application/problem+json",
        "Idempotency-Key": options.key,
        Prefer: `wait=${PREFER_WAIT_SECONDS}`,
      },
      body: JSON.stringify(options.request),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    return { retry: "network", retryAfter: null };
  }
  const retryAfter = response.headers.get("Retry-After");
  // A body cut off by a broken connection reads as null (as does a proxy's HTML page).
  const body: unknown = await response.json().catch(() => null);
  const replayed = response.headers.get("Idempotent-Replayed") === "true";

  if (response.status === 201) {
    const payment = tolerantPaymentResponseSchema.safeParse(body);
    // Created, but the answer did not arrive whole: the server stored it, so the same key
    // gets it again, complete.
    return payment.success ? { done: { kind: "payment", payment: payment.data, replayed } } : { retry: "network", retryAfter };
  }
  const problem = tolerantProblemSchema.safeParse(body);
  if (problem.success && isErrorCode(problem.data.code)) {
    return problemAnswer(problem.data.code, problem.data, response.status, replayed, retryAfter);
  }
  return unreadAnswer(response.status, retryAfter, problem.success ? problem.data.detail : null);
}

/** One of this API's problems: its code says what to do, not its status (codes share statuses). */
function problemAnswer(code: ErrorCode, problem: TolerantProblem, status: number, replayed: boolean, retryAfter: string | null): Answer {
  switch (code) {
    case "card_declined": {
      const { payment, declineCode, detail } = problem;
      return { done: { kind: "declined", payment: payment ?? null, declineCode: declineCode ?? null, message: detail, replayed } };
    }
    case "idempotency_request_in_progress":
      return { retry: "in_progress", retryAfter };
    case "payment_provider_unavailable":
    case "service_unavailable":
    case "internal_error":
      return { retry: "unavailable", retryAfter };
    // outcome_not_recorded: the provider processed the payment but the server could not
    // record it yet; retrying now changes nothing (it is reconciled later), so say so
    // instead of spinning. unauthorized, rate_limited and the 4xx refusals: the customer acts.
    default:
      return { done: { kind: "rejected", status, code, message: problem.detail } };
  }
}

/**
 * An answer without one of this API's codes: a proxy's page, a body cut off by a broken
 * connection, or a code from a later release. Only here does the status decide.
 */
function unreadAnswer(status: number, retryAfter: string | null, detail: string | null): Answer {
  // A final answer (a decline) that did not arrive whole: the retry gets it again, complete.
  if (status === 402) return { retry: "network", retryAfter };
  if (status === 409) return { retry: "in_progress", retryAfter };
  if (status >= 500) return { retry: "unavailable", retryAfter };
  return { done: { kind: "rejected", status, code: null, message: detail ?? `The request failed (HTTP ${status}).` } };
}

function unanswered(reason: RetryReason): PaymentOutcome {
  const message =
    reason === "network"
      ? "We could not reach the server."
      : reason === "in_progress"
        ? "The payment is still being processed."
        : "The payment service is unavailable right now.";
  return { kind: "unanswered", reason, message };
}
