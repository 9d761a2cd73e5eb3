/**
 * What a client may do after an error, as every problem's `retry` member says it:
 * - `same_key`: send the same request again with the same Idempotency-Key (after
 *   `Retry-After` when there is one). The server runs a key at most once, so this is always safe.
 * - `new_key`: the key's answer is final and replayed to every retry; a new attempt (another
 *   card, another amount) is a new logical operation with a new key.
 * - `never`: sending the same request again gets the same answer. Change the request (or the
 *   credentials) first. A refused keyed request stored nothing, so its key may be reused.
 */
export const RETRY_HINTS = ["same_key", "new_key", "never"] as const;

export type RetryHint = (typeof RETRY_HINTS)[number];

type ErrorEntry = {
  status: number;
  /** For humans; stable, but clients branch on the code. */
  title: string;
  retry: RetryHint;
  /** What happened and what to do: /docs/errors#<code> and the OpenAPI document say this. */
  meaning: string;
};

/**
 * Every error this API answers, by stable code: the server throws them (ApiError), and
 * clients — the pay page included — branch on the code, never on the status, which several
 * codes share. Every problem's `type` is `/docs/errors#<code>`, the page that renders this
 * table; the OpenAPI document (GET /api/openapi.json) lists each operation's codes.
 */
export const ERROR_CODES = {
  invalid_request: {
    status: 400,
    title: "The request is invalid",
    retry: "never",
    meaning:
      "A field of the body or the query is missing, of the wrong type or out of range; `errors` names each field and what is wrong. Nothing was stored or charged: correct the request and send it, with the same key if you like.",
  },
  invalid_json: {
    status: 400,
    title: "The body is not valid JSON",
    retry: "never",
    meaning: "The body could not be parsed as JSON (or is not well-formed UTF-8). Nothing was stored or charged.",
  },
  idempotency_key_missing: {
    status: 400,
    title: "Idempotency-Key header is required",
    retry: "never",
    meaning:
      "Money-moving requests need an Idempotency-Key header: one new key (a UUID is ideal) per logical payment or refund, reused for every retry of it. Nothing was stored or charged.",
  },
  idempotency_key_invalid: {
    status: 400,
    title: "Idempotency-Key header is malformed",
    retry: "never",
    meaning:
      "The key must be one value of 1–255 printable ASCII characters, sent once. Two header lines, a comma-separated list and control characters are refused; a key containing a comma must be quoted. Nothing was stored or charged.",
  },
  webhook_signature_invalid: {
    status: 400,
    title: "Stripe-Signature could not be verified",
    retry: "never",
    meaning: "Only Stripe sends webhooks: the Stripe-Signature header is missing, stale or does not match the body. The event was not applied.",
  },
  refund_exceeds_remaining: {
    status: 400,
    title: "Refund exceeds the amount left to refund",
    retry: "never",
    meaning: "The refund's amount is more than what is left to refund of the payment; `amountRemaining` says how much is. Nothing was refunded.",
  },
  payment_not_refundable: {
    status: 400,
    title: "The payment cannot be refunded",
    retry: "never",
    meaning: "Only a succeeded payment can be refunded (and not one the provider refuses, such as a disputed charge). Nothing was refunded.",
  },
  unauthorized: {
    status: 401,
    title: "Authentication required",
    retry: "never",
    meaning:
      "No valid credentials: send `Authorization: Bearer ipk_…` (an API key) or the session cookie of a signed-in browser. A revoked or mistyped key is refused the same way.",
  },
  card_declined: {
    status: 402,
    title: "The card was declined",
    retry: "new_key",
    meaning:
      "The card issuer declined the payment; `declineCode` says why and `payment` is the failed payment, recorded. This is the key's final answer and every retry with it gets the same decline: to try again (another card), start a new payment with a new key.",
  },
  forbidden: {
    status: 403,
    title: "Not allowed",
    retry: "never",
    meaning: "These credentials may not do this: for example, API keys are created from a signed-in session, not with another API key.",
  },
  forbidden_origin: {
    status: 403,
    title: "Cross-site request refused",
    retry: "never",
    meaning:
      "A state-changing request came from another site, or relied on a session cookie without saying where it came from. Browsers call the API from this site's pages; scripts authenticate with an API key.",
  },
  not_found: {
    status: 404,
    title: "Not found",
    retry: "never",
    meaning: "No such resource among yours: another user's payment, refund, key or Idempotency-Key is answered exactly like one that does not exist.",
  },
  method_not_allowed: {
    status: 405,
    title: "Method not allowed",
    retry: "never",
    meaning: "The path does not serve this method; the `Allow` header lists those it does.",
  },
  idempotency_request_in_progress: {
    status: 409,
    title: "A request with this Idempotency-Key is in progress",
    retry: "same_key",
    meaning:
      "The first request with this key is still running. Retry with the same key and body after `Retry-After`, or send `Prefer: wait=N` to wait for its answer. Do not use a new key: that could pay twice.",
  },
  payload_too_large: {
    status: 413,
    title: "The body is too large",
    retry: "never",
    meaning: "The body is over the endpoint's limit (16 KiB for the API). Nothing was stored or charged.",
  },
  unsupported_media_type: {
    status: 415,
    title: "Content-Type must be application/json",
    retry: "never",
    meaning: "Send the body as JSON with `Content-Type: application/json`. Nothing was stored or charged.",
  },
  idempotency_key_reused: {
    status: 422,
    title: "Idempotency-Key was used with a different request",
    retry: "new_key",
    meaning:
      "This key already belongs to another request (another body, or another endpoint), whose answer it keeps. Nothing new ran. A different payment needs a new key; a retry of the first one must send exactly its body.",
  },
  rate_limited: {
    status: 429,
    title: "Too many requests",
    retry: "same_key",
    meaning: "Too many requests in the current window; `limit` is the allowance. Nothing ran: retry after `Retry-After` seconds, with the same key.",
  },
  internal_error: {
    status: 500,
    title: "Internal server error",
    retry: "same_key",
    meaning:
      "The server failed unexpectedly. A keyed request is safe to retry with the same key: if it reached the payment provider, the retry gets that outcome, never a second charge. Quote the `requestId` when you report it.",
  },
  outcome_not_recorded: {
    status: 500,
    title: "The outcome is not recorded yet",
    retry: "same_key",
    meaning:
      "The payment provider may have processed this request (`stripeObjectId` names what it holds), but the outcome is not recorded yet; it is being reconciled. Retry later with the same key to get the final answer — never with a new key, which could pay twice. GET /api/idempotency-keys/{key} shows the key's state.",
  },
  payment_provider_unavailable: {
    status: 503,
    title: "The payment provider is unavailable",
    retry: "same_key",
    meaning:
      "The payment provider could not be reached or answered with an error; nothing is recorded as charged. Retry with the same key after `Retry-After`: if the provider did act, the retry gets that outcome, never a second charge.",
  },
  service_unavailable: {
    status: 503,
    title: "The service is temporarily unavailable",
    retry: "same_key",
    meaning: "The database is unreachable for a moment. Retry with the same key after `Retry-After`.",
  },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** Whether `code` is one of this release's codes: an answer from a later release may carry others. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** The documentation of `code`: every problem's `type`. */
export function errorTypeUrl(code: ErrorCode): string {
  return `/docs/errors#${code}`;
}
