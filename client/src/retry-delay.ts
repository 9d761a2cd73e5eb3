/** Delay before the first retry; it doubles for each one after (docs/API.md, "Retry advice"). */
const BASE_DELAY_MS = 500;
/** Ceiling of the exponential part, before jitter. */
const MAX_BACKOFF_MS = 8_000;
/** A `Retry-After` beyond this is cut short: a customer is watching a spinner. */
const MAX_RETRY_AFTER_MS = 30_000;

/**
 * How long to wait before retry number `retry` (1 for the first retry): exponential backoff
 * (0.5 s, 1 s, 2 s, 4 s, 8 s…) plus up to 50 % random jitter, so that clients which failed
 * together do not retry together; and never sooner than the server's `Retry-After`.
 */
export function retryDelayMs(retry: number, retryAfter: string | null, random: () => number = Math.random, now = Date.now()): number {
  const backoff = Math.min(BASE_DELAY_MS * 2 ** Math.max(retry - 1, 0), MAX_BACKOFF_MS);
  const jittered = Math.round(backoff * (1 + 0.5 * random()));
  return Math.max(jittered, Math.min(retryAfterMs(retryAfter, now), MAX_RETRY_AFTER_MS));
}

/** `Retry-After` (RFC 9110: delay-seconds or an HTTP-date) in milliseconds; 0 when absent or unreadable. */
function retryAfterMs(value: string | null, now = Date.now()): number {
  if (!value) return 0;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? 0 : Math.max(date - now, 0);
}
