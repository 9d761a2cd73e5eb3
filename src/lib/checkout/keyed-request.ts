import { keyedOperation, type FetchResult, type KeyHeaders, type PaymentsClient, type RetryReason } from "@payments/client";
import { apiClient } from "../api-client";
import { isErrorCode, type ErrorCode } from "../error-codes";
import { tolerantProblemSchema, type TolerantProblem } from "../schemas/problem";

export { MAX_ATTEMPTS, type RetryReason } from "@payments/client";

/**
 * A refusal that retrying at once cannot change, with the API's error `code` (null when the
 * answer was not one of this API's problems, or named a code this page does not know).
 */
export type Rejected = { kind: "rejected"; status: number; code: ErrorCode | null; message: string };

/** Every attempt failed transiently: the outcome is unknown, and the key is worth keeping. */
export type Unanswered = { kind: "unanswered"; reason: RetryReason; message: string };

/** One answer, read: the body is null when it was not JSON or was cut off by a broken connection. */
export type KeyedAnswer = {
  status: number;
  body: unknown;
  replayed: boolean;
  /** The problem document, when the answer is one of this API's problems with a code this release knows. */
  problem: (TolerantProblem & { code: ErrorCode }) | null;
};

/** What to do with an answer: `done` ends the request; `retry` sends it again with the same key and body. */
export type Verdict<T> = { done: T } | { retry: RetryReason };

/** How a keyed request is retried, and the seams the tests inject. */
export type RetryOptions = {
  /** Called before each attempt; `retrying` is null for the first. */
  onAttempt?: (attempt: number, retrying: RetryReason | null) => void;
  maxAttempts?: number;
  fetch?: (request: Request) => Promise<Response>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
};

export type KeyedRequestOptions<T> = RetryOptions & {
  key: string;
  /** The call, through the typed client, with the headers the key's owner adds (Idempotency-Key, Prefer). */
  send: (api: PaymentsClient, headers: KeyHeaders) => Promise<FetchResult>;
  /** What the request creates, for the messages: "payment", "refund". */
  subject: string;
  /**
   * The answers particular to this request (its 201, a decline); undefined leaves the answer
   * to the rules every keyed request shares (see sharedVerdict).
   */
  classify: (answer: KeyedAnswer) => Verdict<T> | undefined;
};

/**
 * Sends a keyed request through the typed client's keyedOperation (client/), which owns the
 * key and the retries — same key, same body, backoff with jitter, `Retry-After`, `Prefer:
 * wait` — until a final answer by this page's rules: a network error, a request still in
 * progress, an unavailable service, or whatever `classify` asks (a 201 whose body was cut
 * off: the retry gets it again, replayed) is retried. Safe because the server runs a key at
 * most once (docs/API.md, "Retries").
 */
export async function keyedRequest<T>(options: KeyedRequestOptions<T>): Promise<T | Rejected | Unanswered> {
  const api = apiClient(options.fetch);
  const verdictOf = (answer: KeyedAnswer) => options.classify(answer) ?? sharedVerdict(answer);
  const outcome = await keyedOperation((headers) => options.send(api, headers), {
    key: options.key,
    maxAttempts: options.maxAttempts,
    onAttempt: options.onAttempt,
    sleep: options.sleep,
    random: options.random,
    retryReason: (raw) => {
      const verdict = verdictOf(read(raw.status, raw.body, raw.replayed));
      return "retry" in verdict ? verdict.retry : null;
    },
  });
  if (outcome.kind === "unanswered") return unanswered(outcome.reason, options.subject);
  const { status, body, replayed } = outcome.answer;
  const verdict = verdictOf(read(status, body, replayed));
  // keyedOperation ended on this answer because its verdict was `done`.
  return "done" in verdict ? verdict.done : unanswered(verdict.retry, options.subject);
}

function read(status: number, json: unknown, replayed: boolean): KeyedAnswer {
  // A body cut off by a broken connection, or a proxy's HTML page, is no JSON: null.
  const body = typeof json === "string" ? null : json;
  const parsed = tolerantProblemSchema.safeParse(body);
  const problem = parsed.success && isErrorCode(parsed.data.code) ? { ...parsed.data, code: parsed.data.code } : null;
  return { status, body, replayed, problem };
}

/**
 * What every keyed request does with an answer its own rules left: one of this API's problems
 * by its code, not its status (codes share statuses); anything else (a proxy's page, a code
 * from a later release) by its status.
 */
function sharedVerdict(answer: KeyedAnswer): Verdict<Rejected> {
  const { status, problem, body } = answer;
  if (problem) {
    switch (problem.code) {
      case "idempotency_request_in_progress":
        return { retry: "in_progress" };
      case "payment_provider_unavailable":
      case "service_unavailable":
      case "internal_error":
        return { retry: "unavailable" };
      // outcome_not_recorded: the provider processed the request but the server could not
      // record it yet; retrying now changes nothing (it is reconciled later), so say so
      // instead of spinning. unauthorized, rate_limited and the 4xx refusals: the customer acts.
      default:
        return { done: { kind: "rejected", status, code: problem.code, message: problem.detail } };
    }
  }
  if (status === 409) return { retry: "in_progress" };
  if (status >= 500) return { retry: "unavailable" };
  const detail = tolerantProblemSchema.safeParse(body);
  return { done: { kind: "rejected", status, code: null, message: detail.success ? detail.data.detail : `The request failed (HTTP ${status}).` } };
}

function unanswered(reason: RetryReason, subject: string): Unanswered {
  const message =
    reason === "network"
      ? "We could not reach the server."
      : reason === "in_progress"
        ? `The ${subject} is still being processed.`
        : "The payment service is unavailable right now.";
  return { kind: "unanswered", reason, message };
}
