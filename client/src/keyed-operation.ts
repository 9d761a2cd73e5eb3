import { retryDelayMs } from "./retry-delay";

/** Attempts in all, the first included: about 15 s of backoff before giving up. */
export const MAX_ATTEMPTS = 6;
/** RFC 7240 `Prefer: wait`: a duplicate waits this long for the first request's answer instead of a 409. */
export const PREFER_WAIT_SECONDS = 5;

/** Why an attempt is being retried. */
export type RetryReason = "network" | "in_progress" | "unavailable";

/** What openapi-fetch resolves to: the parsed body as `data` (2xx) or `error` (otherwise). */
export type FetchResult = { data?: unknown; error?: unknown; response: Response };

/** The headers keyedOperation sends with every attempt: pass them as the call's header params. */
export type KeyHeaders = { "Idempotency-Key": string; Prefer: string };

/** One answer, as the retry rule sees it. */
export type KeyedAnswer = {
  status: number;
  /** The parsed body (`data` or `error`); null when it was not JSON. */
  body: unknown;
  headers: Headers;
  /** `Idempotent-Replayed: true`: the stored answer of an earlier attempt. */
  replayed: boolean;
  /** `Idempotency-Key-Expires`: until when this key replays its answer. */
  keyExpiresAt: Date | null;
};

export type KeyedOperationOptions = {
  /** The key of this logical operation; a new UUID when absent. Keep it to resume after a reload. */
  key?: string;
  maxAttempts?: number;
  preferWaitSeconds?: number;
  /**
   * Whether an answer is worth sending again with the same key, and why; null ends the
   * operation with it. Default: defaultRetryReason.
   */
  retryReason?: (answer: KeyedAnswer) => RetryReason | null;
  /** Called before each attempt; `retrying` is null for the first. */
  onAttempt?: (attempt: number, retrying: RetryReason | null) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
};

export type KeyedOutcome =
  | { kind: "answered"; key: string; answer: KeyedAnswer; attempts: number }
  /** Every attempt failed transiently: the outcome is unknown, and the key is worth keeping. */
  | { kind: "unanswered"; key: string; reason: RetryReason; attempts: number };

/**
 * Runs one logical money-moving operation to a final answer. It owns the operation's
 * Idempotency-Key: every attempt sends the same key (and, since `send` is the same call, the
 * same body), with `Prefer: wait` so that a duplicate waits for the first request instead of
 * a 409. It retries a network failure, an answer cut off mid-body, and whatever
 * `retryReason` says, with exponential backoff and jitter, never sooner than `Retry-After`.
 * Retrying is safe because the server runs a key at most once.
 *
 *     const outcome = await keyedOperation((header) => api.POST("/api/payments", { params: { header }, body }));
 */
export async function keyedOperation(
  send: (headers: KeyHeaders) => Promise<FetchResult>,
  options: KeyedOperationOptions = {},
): Promise<KeyedOutcome> {
  const key = options.key ?? crypto.randomUUID();
  const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const retryReason = options.retryReason ?? defaultRetryReason;
  const headers: KeyHeaders = { "Idempotency-Key": key, Prefer: `wait=${options.preferWaitSeconds ?? PREFER_WAIT_SECONDS}` };
  let retrying: RetryReason | null = null;

  for (let attempt = 1; ; attempt++) {
    options.onAttempt?.(attempt, retrying);
    const answer = await attemptOnce(send, headers);
    const reason = answer ? retryReason(answer) : "network";
    if (answer && reason === null) return { kind: "answered", key, answer, attempts: attempt };
    if (attempt >= maxAttempts) return { kind: "unanswered", key, reason: reason ?? "network", attempts: attempt };
    retrying = reason;
    await sleep(retryDelayMs(attempt, answer?.headers.get("Retry-After") ?? null, options.random));
  }
}

/** One attempt; null when no whole answer arrived (the connection failed, or the body was cut off). */
async function attemptOnce(send: (headers: KeyHeaders) => Promise<FetchResult>, headers: KeyHeaders): Promise<KeyedAnswer | null> {
  let result: FetchResult;
  try {
    result = await send({ ...headers });
  } catch {
    return null;
  }
  const { response } = result;
  const expires = response.headers.get("Idempotency-Key-Expires");
  return {
    status: response.status,
    body: (response.ok ? result.data : result.error) ?? null,
    headers: response.headers,
    replayed: response.headers.get("Idempotent-Replayed") === "true",
    keyExpiresAt: expires && !Number.isNaN(Date.parse(expires)) ? new Date(expires) : null,
  };
}

/**
 * The API's own advice: a problem whose `retry` is `same_key` is retried, except
 * `outcome_not_recorded` (the payment provider acted and the record is being reconciled: a
 * retry in minutes gets the answer, a retry now changes nothing). An answer that is not one
 * of the API's problems (a proxy's page) is read by its status: 409 and 5xx are retried.
 */
export function defaultRetryReason(answer: KeyedAnswer): RetryReason | null {
  const problem = problemOf(answer.body);
  if (problem?.retry !== undefined) {
    if (problem.retry !== "same_key" || problem.code === "outcome_not_recorded") return null;
    return problem.code === "idempotency_request_in_progress" ? "in_progress" : "unavailable";
  }
  if (answer.status === 409) return "in_progress";
  return answer.status >= 500 ? "unavailable" : null;
}

function problemOf(body: unknown): { code?: unknown; retry?: unknown } | null {
  return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as { code?: unknown; retry?: unknown }) : null;
}
