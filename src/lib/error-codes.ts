/**
 * Every error this API answers, by stable code: the server throws them (ApiError), and
 * clients — the pay page included — branch on the code, never on the status, which several
 * codes share. `title` is for humans. docs/API.md documents the same table.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, title: "The request is invalid" },
  invalid_json: { status: 400, title: "The body is not valid JSON" },
  idempotency_key_missing: { status: 400, title: "Idempotency-Key header is required" },
  idempotency_key_invalid: { status: 400, title: "Idempotency-Key header is malformed" },
  webhook_signature_invalid: { status: 400, title: "Stripe-Signature could not be verified" },
  refund_exceeds_remaining: { status: 400, title: "Refund exceeds the amount left to refund" },
  payment_not_refundable: { status: 400, title: "The payment cannot be refunded" },
  unauthorized: { status: 401, title: "Authentication required" },
  card_declined: { status: 402, title: "The card was declined" },
  forbidden: { status: 403, title: "Not allowed" },
  forbidden_origin: { status: 403, title: "Cross-site request refused" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  idempotency_request_in_progress: { status: 409, title: "A request with this Idempotency-Key is in progress" },
  payload_too_large: { status: 413, title: "The body is too large" },
  unsupported_media_type: { status: 415, title: "Content-Type must be application/json" },
  idempotency_key_reused: { status: 422, title: "Idempotency-Key was used with a different request" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal_error: { status: 500, title: "Internal server error" },
  outcome_not_recorded: { status: 500, title: "The outcome is not recorded yet" },
  payment_provider_unavailable: { status: 503, title: "The payment provider is unavailable" },
  service_unavailable: { status: 503, title: "The service is temporarily unavailable" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** Whether `code` is one of this release's codes: an answer from a later release may carry others. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}
