import type { z } from "zod";
import type { ErrorCode } from "../error-codes";
import { apiKeyListResponseSchema, apiKeyResponseSchema, createdApiKeyResponseSchema } from "../schemas/api-key-response";
import { createApiKeySchema } from "../schemas/api-key";
import { idempotencyKeyResponseSchema } from "../schemas/idempotency-key-response";
import {
  accountResponseSchema,
  cleanupResponseSchema,
  healthResponseSchema,
  reconcileResponseSchema,
  webhookAckResponseSchema,
} from "../schemas/operations-response";
import { createPaymentSchema, listPaymentsQuerySchema } from "../schemas/payment";
import { paymentDetailResponseSchema, paymentListResponseSchema, paymentResponseSchema } from "../schemas/payment-response";
import { createRefundSchema } from "../schemas/refund";
import { refundListResponseSchema, refundResponseSchema } from "../schemas/refund-response";
import { signUpSchema } from "../schemas/sign-up";

/** Who may call an operation (document.ts turns these into security schemes). */
export type Caller = "user" | "session" | "cronSecret" | "metricsToken" | "stripeSignature" | "anyone";

/** A header an answer carries, by its name in components.headers (document.ts). */
export type ResponseHeader =
  | "Location"
  | "Idempotent-Replayed"
  | "Idempotency-Key-Expires"
  | "Retry-After"
  | "WWW-Authenticate";

export type Success = {
  status: 200 | 201;
  description: string;
  /** The zod schema the answer's body is written from; `text` for a body that is not JSON. */
  body: z.ZodType | { text: string };
  headers?: ResponseHeader[];
};

/**
 * One operation of the API: the schemas its route validates with and answers from, and every
 * error code it can answer. document.ts makes the OpenAPI document of these, and
 * tests/integration/openapi-routes.test.ts checks that they are the routes served.
 */
export type Operation = {
  method: "get" | "post" | "delete";
  /** OpenAPI's template: `{id}` for a `[id]` folder. */
  path: string;
  operationId: string;
  tag: "Payments" | "Refunds" | "Idempotency keys" | "API keys" | "Accounts" | "Operations" | "Webhooks" | "Specification";
  summary: string;
  description?: string;
  caller: Caller;
  /** Money-moving: Idempotency-Key and Prefer are read, the answer is stored and replayed. */
  keyed?: boolean;
  pathParams?: Record<string, string>;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** A body read as text rather than JSON (the webhook's, verified against its signature). */
  rawBody?: string;
  success: Success;
  /** The codes particular to this operation; document.ts adds those every caller shares. */
  errors: ErrorCode[];
};

const KEYED_SUCCESS_HEADERS: ResponseHeader[] = ["Location", "Idempotent-Replayed", "Idempotency-Key-Expires"];

/** The errors of reading a JSON body (parse-json-body.ts). */
const JSON_BODY_ERRORS: ErrorCode[] = ["invalid_json", "invalid_request", "payload_too_large", "unsupported_media_type"];

/**
 * The errors of a keyed request, past the caller and the body: the key and `Prefer` headers,
 * the engine's refusals, the provider's failures (with-keyed-route.ts, with-idempotency.ts).
 */
const KEYED_ERRORS: ErrorCode[] = [
  "idempotency_key_missing",
  "idempotency_key_invalid",
  "idempotency_request_in_progress",
  "idempotency_key_reused",
  "rate_limited",
  "outcome_not_recorded",
  "payment_provider_unavailable",
];

export const OPERATIONS: Operation[] = [
  {
    method: "post",
    path: "/api/payments",
    operationId: "createPayment",
    tag: "Payments",
    summary: "Create and confirm a payment, exactly once per Idempotency-Key",
    description:
      "Creates a Stripe PaymentIntent and confirms it on the server. The first answer is stored under the caller's key and replayed, byte for byte, to every retry with the same key and body. `requires_action` carries `clientSecret` for Stripe.js (`handleNextAction`); a decline is a 402 whose `payment` is the failed payment.",
    caller: "user",
    keyed: true,
    body: createPaymentSchema,
    success: { status: 201, description: "The payment (or, replayed, the first answer).", body: paymentResponseSchema, headers: KEYED_SUCCESS_HEADERS },
    errors: [...JSON_BODY_ERRORS, ...KEYED_ERRORS, "card_declined"],
  },
  {
    method: "get",
    path: "/api/payments",
    operationId: "listPayments",
    tag: "Payments",
    summary: "The caller's payments, newest first",
    caller: "user",
    query: listPaymentsQuerySchema,
    success: { status: 200, description: "One page; `nextCursor` fetches the next.", body: paymentListResponseSchema },
    errors: ["invalid_request"],
  },
  {
    method: "get",
    path: "/api/payments/{id}",
    operationId: "getPayment",
    tag: "Payments",
    summary: "One payment with its refunds",
    description:
      "A payment still `requires_action`, `requires_confirmation` or `processing` is read again from Stripe and recorded first, so a page polling it after Stripe.js finished sees the outcome whether or not a webhook arrived.",
    caller: "user",
    pathParams: { id: "The payment's id." },
    success: { status: 200, description: "The payment.", body: paymentDetailResponseSchema },
    errors: ["not_found"],
  },
  {
    method: "post",
    path: "/api/payments/{id}/refunds",
    operationId: "createRefund",
    tag: "Refunds",
    summary: "Refund all or part of a payment, exactly once per Idempotency-Key",
    caller: "user",
    keyed: true,
    pathParams: { id: "The payment's id." },
    body: createRefundSchema,
    success: { status: 201, description: "The refund (or, replayed, the first answer).", body: refundResponseSchema, headers: KEYED_SUCCESS_HEADERS },
    errors: [...JSON_BODY_ERRORS, ...KEYED_ERRORS, "not_found", "refund_exceeds_remaining", "payment_not_refundable"],
  },
  {
    method: "get",
    path: "/api/payments/{id}/refunds",
    operationId: "listRefunds",
    tag: "Refunds",
    summary: "A payment's refunds, oldest first",
    caller: "user",
    pathParams: { id: "The payment's id." },
    success: { status: 200, description: "The refunds.", body: refundListResponseSchema },
    errors: ["not_found"],
  },
  {
    method: "get",
    path: "/api/payments/{id}/refunds/{refundId}",
    operationId: "getRefund",
    tag: "Refunds",
    summary: "One refund",
    caller: "user",
    pathParams: { id: "The payment's id.", refundId: "The refund's id." },
    success: { status: 200, description: "The refund.", body: refundResponseSchema },
    errors: ["not_found"],
  },
  {
    method: "get",
    path: "/api/idempotency-keys/{key}",
    operationId: "getIdempotencyKey",
    tag: "Idempotency keys",
    summary: "What became of a request sent with this Idempotency-Key",
    description:
      "For a client that lost an answer: whether the request is in progress, was interrupted (retry with the same key), awaits reconciliation, completed (with the status and the resource it made) or expired, without sending it again. The key is percent-encoded as one path segment. Another user's key is a 404, like one never sent.",
    caller: "user",
    pathParams: { key: "The Idempotency-Key, percent-encoded (encodeURIComponent)." },
    success: { status: 200, description: "The key's state.", body: idempotencyKeyResponseSchema, headers: ["Idempotency-Key-Expires"] },
    errors: ["idempotency_key_invalid", "not_found"],
  },
  {
    method: "get",
    path: "/api/api-keys",
    operationId: "listApiKeys",
    tag: "API keys",
    summary: "The caller's API keys, newest first",
    caller: "user",
    success: { status: 200, description: "The keys, without secrets.", body: apiKeyListResponseSchema },
    errors: [],
  },
  {
    method: "post",
    path: "/api/api-keys",
    operationId: "createApiKey",
    tag: "API keys",
    summary: "Create an API key (from a signed-in session only)",
    description: "The secret is in this answer and never again. An API key cannot create keys: a leaked one could otherwise outlive its revocation.",
    caller: "user",
    body: createApiKeySchema,
    success: { status: 201, description: "The key and its secret.", body: createdApiKeyResponseSchema },
    errors: [...JSON_BODY_ERRORS, "forbidden"],
  },
  {
    method: "delete",
    path: "/api/api-keys/{id}",
    operationId: "revokeApiKey",
    tag: "API keys",
    summary: "Revoke one of the caller's API keys",
    caller: "user",
    pathParams: { id: "The key's id." },
    success: { status: 200, description: "The revoked key.", body: apiKeyResponseSchema },
    errors: ["not_found"],
  },
  {
    method: "post",
    path: "/api/auth/sign-up",
    operationId: "signUp",
    tag: "Accounts",
    summary: "Create an account that signs in with email and password",
    description: "Does not sign in: the page then signs in through Auth.js. Throttled per client address.",
    caller: "anyone",
    body: signUpSchema,
    success: { status: 201, description: "The account.", body: accountResponseSchema },
    errors: [...JSON_BODY_ERRORS, "rate_limited"],
  },
  {
    method: "post",
    path: "/api/webhooks/stripe",
    operationId: "receiveStripeEvent",
    tag: "Webhooks",
    summary: "Stripe's webhook endpoint",
    description:
      "Only Stripe calls it: the `Stripe-Signature` header over the raw body is the authentication. Each event is applied at most once; any failure after verification answers 500, so Stripe delivers it again.",
    caller: "stripeSignature",
    rawBody: "A Stripe Event, exactly as Stripe sent it (at most 1 MiB).",
    success: { status: 200, description: "Received.", body: webhookAckResponseSchema },
    errors: ["webhook_signature_invalid", "payload_too_large"],
  },
  {
    method: "get",
    path: "/api/cron/cleanup",
    operationId: "runCleanup",
    tag: "Operations",
    summary: "One bounded, paced cleanup of expired idempotency keys (for a hosted scheduler)",
    caller: "cronSecret",
    success: { status: 200, description: "What the run did.", body: cleanupResponseSchema },
    errors: [],
  },
  {
    method: "get",
    path: "/api/cron/reconcile",
    operationId: "runReconcile",
    tag: "Operations",
    summary: "One bounded reconciliation of flagged and abandoned keys from Stripe's records (for a hosted scheduler)",
    description:
      "What `npm run reconcile` does, for up to 20 keys, starting a key only while its Stripe lookup still fits in the request's time (`MAX_REQUEST_SECONDS`). Call it every few minutes.",
    caller: "cronSecret",
    success: { status: 200, description: "What the run did.", body: reconcileResponseSchema },
    errors: [],
  },
  {
    method: "get",
    path: "/api/health",
    operationId: "getHealth",
    tag: "Operations",
    summary: "Liveness, with a real database round trip",
    caller: "anyone",
    success: { status: 200, description: "PostgreSQL answered.", body: healthResponseSchema },
    errors: [],
  },
  {
    method: "get",
    path: "/api/metrics",
    operationId: "getMetrics",
    tag: "Operations",
    summary: "Prometheus metrics of this instance",
    caller: "metricsToken",
    success: { status: 200, description: "Prometheus text exposition format.", body: { text: "text/plain; version=0.0.4; charset=utf-8" } },
    errors: [],
  },
  {
    method: "get",
    path: "/api/openapi.json",
    operationId: "getOpenApiDocument",
    tag: "Specification",
    summary: "This document",
    caller: "anyone",
    success: { status: 200, description: "The OpenAPI 3.1 document of this API.", body: { text: "application/json" } },
    errors: [],
  },
];
