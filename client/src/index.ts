import createClient, { type ClientOptions } from "openapi-fetch";
import type { components, paths } from "./schema";

/**
 * A typed client of the payments API, generated from its OpenAPI document
 * (client/openapi.json, GET /api/openapi.json): paths, parameters, bodies and answers are the
 * document's types, so a call the API does not serve does not compile.
 *
 *     const api = createPaymentsClient({ baseUrl: "https://payments.example", headers: { Authorization: `Bearer ${apiKey}` } });
 *     const { data, error } = await api.GET("/api/payments/{id}", { params: { path: { id } } });
 *
 * Money-moving calls go through keyedOperation, which owns the Idempotency-Key.
 */
export function createPaymentsClient(options: ClientOptions = {}) {
  return createClient<paths>(options);
}

export type PaymentsClient = ReturnType<typeof createPaymentsClient>;

type Schemas = components["schemas"];
export type Payment = Schemas["Payment"];
export type PaymentDetail = Schemas["PaymentDetail"];
export type Refund = Schemas["Refund"];
export type Problem = Schemas["Problem"];
export type CreatePayment = Schemas["CreatePayment"];
export type CreateRefund = Schemas["CreateRefund"];
export type IdempotencyKeyStatus = Schemas["IdempotencyKeyStatus"];
export type ApiKey = Schemas["ApiKey"];
export type CreatedApiKey = Schemas["CreatedApiKey"];

export type { components, paths };
export * from "./keyed-operation";
export { retryDelayMs } from "./retry-delay";
