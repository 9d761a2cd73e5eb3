import { isErrorCode, type ErrorCode } from "../error-codes";
import { tolerantProblemSchema, type TolerantProblem } from "../schemas/problem";
import { retryDelayMs } from "./retry-delay";

/** Attempts in all, the first included: about 15 s of backoff before giving up. */
export const MAX_ATTEMPTS = 6;
/** RFC 7240 `Prefer: wait`: a duplicate waits this long for the first request's answer instead of a 409. */
const PREFER_WAIT_SECONDS = 5;

/** Why the previous attempt is being retried. */
export type RetryReason = "network" | "in_progress" | "unavailable";

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
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
};

export type KeyedRequestOptions<T> = RetryOptions & {
  path: string;
  key: string;
  body: unknown;
  /** What the request creates, for the messages: "payment", "refund". */
  subject: string;
  /**
   * The answers particular to this request (its 201, a decline); undefined leaves the answer
   * to the rules every keyed request shares (see sharedVerdict).
   */
  classify: (answer: KeyedAnswer) => Verdict<T> | undefined;
};

/**
 * POSTs `body` as JSON with its Idempotency-Key and retries with the same key and body until
 * a final answer: on a network error, while the first request with this key is still running,
 * while the service or the payment provider is unavailable, or whenever `classify` asks (a
 * 201 whose body was cut off: the retry gets it again, replayed). Retrying is safe because
 * the server runs a key at most once (docs/API.md, "Retries").
 */
export async function keyedRequest<T>(options: KeyedRequestOptions<T>): Promise<T | Rejected | Unanswered> {
  const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  const send = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const body = JSON.stringify(options.body); // once: every retry sends exactly these bytes
  let retrying: RetryReason | null = null;

  for (let attempt = 1; ; attempt++) {
    options.onAttempt?.(attempt, retrying);
    const { verdict, retryAfter } = await sendOnce(send, options, body);
    if ("done" in verdict) return verdict.done;
    if (attempt >= maxAttempts) return unanswered(verdict.retry, options.subject);
    retrying = verdict.retry;
    await sleep(retryDelayMs(attempt, retryAfter, options.random));
  }
}

type Sent<T> = { verdict: Verdict<T | Rejected>; retryAfter: string | null };

async function sendOnce<T>(send: typeof fetch, options: KeyedRequestOptions<T>, body: string): Promise<Sent<T>> {
  let response: Response;
  try {
    response = await send(options.path, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, application/problem+json",
        "Idempotency-Key": options.key,
        Prefer: `wait=${PREFER_WAIT_SECONDS}`,
      },
      body,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    return { verdict: { retry: "network" }, retryAfter: null };
  }
  const retryAfter = response.headers.get("Retry-After");
  // A body cut off by a broken connection reads as null (as does a proxy's HTML page).
  const json: unknown = await response.json().catch(() => null);
  const parsed = tolerantProblemSchema.safeParse(json);
  const problem = parsed.success && isErrorCode(parsed.data.code) ? { ...parsed.data, code: parsed.data.code } : null;
  const answer: KeyedAnswer = {
    status: response.status,
    body: json,
    replayed: response.headers.get("Idempotent-Replayed") === "true",
    problem,
  };
  const verdict = options.classify(answer) ?? sharedVerdict(answer, parsed.success ? parsed.data.detail : null);
  return { verdict, retryAfter };
}

/**
 * What every keyed request does with an answer its own rules left: one of this API's problems
 * by its code, not its status (codes share statuses); anything else (a proxy's page, a code
 * from a later release) by its status.
 */
function sharedVerdict(answer: KeyedAnswer, detail: string | null): Verdict<Rejected> {
  const { status, problem } = answer;
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
  return { done: { kind: "rejected", status, code: null, message: detail ?? `The request failed (HTTP ${status}).` } };
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
