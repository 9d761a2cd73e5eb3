import { paymentResponseSchema, problemResponseSchema, type PaymentResponse } from "../schemas/payment-response";
import type { CreatePaymentInput } from "../schemas/payment";
import { retryDelayMs } from "./retry-delay";

/** Attempts in all, the first included: about 15 s of backoff before giving up. */
export const MAX_ATTEMPTS = 6;
/** RFC 7240 `Prefer: wait`: a duplicate waits this long for the first request's answer instead of a 409. */
const PREFER_WAIT_SECONDS = 5;

/** The server's answer for a payment the provider processed but that is not recorded yet (docs/API.md). */
export const OUTCOME_NOT_RECORDED = "outcome_not_recorded";

/** Why the previous attempt is being retried. */
export type RetryReason = "network" | "in_progress" | "unavailable";

/**
 * How a keyed payment request ended. `payment` and `declined` are final answers that the
 * server stored for this key; `rejected` is a 4xx that the request cannot fix by itself;
 * `unanswered` means every attempt failed transiently and the outcome is unknown.
 */
export type PaymentOutcome =
  | { kind: "payment"; payment: PaymentResponse; replayed: boolean }
  | { kind: "declined"; payment: PaymentResponse | null; declineCode: string | null; message: string; replayed: boolean }
  | { kind: "rejected"; status: number; code: string | null; message: string }
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
  endpoint?: string;
};

type Answer = { done: PaymentOutcome } | { retry: RetryReason; retryAfter: string | null };

/**
 * POSTs the payment with its Idempotency-Key and retries with the same key and body
 * until a final answer: on a network error, 409 (the first request with this key is still
 * running), 5xx, or a response whose body could not be read (a 201 lost half-way is
 * replayed by the retry). Retrying is safe because the server runs a key at most once.
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
    response = await send(options.endpoint ?? "/api/payments", {
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
  if (response.status === 409) return { retry: "in_progress", retryAfter };
  // A body cut off by a broken connection reads as null (as does a proxy's HTML page).
  const body: unknown = await response.json().catch(() => null);
  const replayed = response.headers.get("Idempotent-Replayed") === "true";
  const problem = problemResponseSchema.safeParse(body);
  if (response.status >= 500) {
    // The provider processed the payment but the server could not record it yet: retrying
    // now changes nothing (it is reconciled later), so say so instead of spinning.
    if (problem.success && problem.data.code === OUTCOME_NOT_RECORDED) {
      return { done: { kind: "rejected", status: response.status, code: OUTCOME_NOT_RECORDED, message: problem.data.detail } };
    }
    return { retry: "unavailable", retryAfter };
  }

  if (response.status === 201 || response.status === 402) {
    // A final answer that did not arrive whole: the server stored it, so the same key
    // gets it again, complete.
    const answer = response.status === 201 ? paymentAnswer(body, replayed) : declineAnswer(body, replayed);
    return answer ? { done: answer } : { retry: "network", retryAfter };
  }
  return {
    done: {
      kind: "rejected",
      status: response.status,
      code: problem.success ? problem.data.code : null,
      message: problem.success ? problem.data.detail : `The request failed (HTTP ${response.status}).`,
    },
  };
}

function paymentAnswer(body: unknown, replayed: boolean): PaymentOutcome | null {
  const payment = paymentResponseSchema.safeParse(body);
  return payment.success ? { kind: "payment", payment: payment.data, replayed } : null;
}

function declineAnswer(body: unknown, replayed: boolean): PaymentOutcome | null {
  const problem = problemResponseSchema.safeParse(body);
  if (!problem.success) return null;
  const { payment, declineCode, detail } = problem.data;
  return { kind: "declined", payment: payment ?? null, declineCode: declineCode ?? null, message: detail, replayed };
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
