/**
 * The API's paths (docs/API.md), for everything that names one: the server (a keyed
 * request's path is part of its fingerprint, and `Location` headers), the pay page, and the
 * tests. The route files under src/app/api serve them; routes.test.ts pins their text.
 */
export const PAYMENTS_PATH = "/api/payments";

/** A payment: GET, and the `Location` of a created one. */
export function paymentPath(paymentId: string): string {
  return `${PAYMENTS_PATH}/${paymentId}`;
}

/** A payment's refunds: POST to refund, GET to list. Keyed, so a refund key cannot cross payments. */
export function refundsPath(paymentId: string): string {
  return `${paymentPath(paymentId)}/refunds`;
}

/** One refund: GET, and the `Location` of a created one. */
export function refundPath(paymentId: string, refundId: string): string {
  return `${refundsPath(paymentId)}/${refundId}`;
}

/** The Idempotency-Key resource: GET what became of a keyed request. Any key is one path segment. */
export function idempotencyKeyPath(key: string): string {
  return `/api/idempotency-keys/${encodeURIComponent(key)}`;
}
