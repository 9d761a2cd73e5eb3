import type { PaymentIntent, PaymentMethod } from "./objects";

export type StripeErrorType = "api_error" | "card_error" | "idempotency_error" | "invalid_request_error";

/** The object under `error` in a Stripe error response; stripe-node maps it onto its error classes. */
export type StripeErrorBody = {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  advice_code?: string;
  doc_url?: string;
  charge?: string;
  payment_intent?: PaymentIntent;
  payment_method?: PaymentMethod | null;
};

/**
 * An API error answered in Stripe's `{ "error": { … } }` shape.
 *
 * `storedForIdempotency` follows Stripe's rule: a result is saved under an idempotency key only
 * once the endpoint has begun executing. Parameter validation failures (and unknown ids) are not
 * saved, so the client can fix the request and retry with the same key; business outcomes such
 * as a declined card or a refund larger than what is left are saved and replayed.
 */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    readonly storedForIdempotency = false,
  ) {
    super(body.message);
    this.name = "StripeApiError";
  }
}

interface ErrorDetails {
  param?: string;
  code?: string;
}

export function docUrl(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replaceAll("_", "-")}`;
}

function invalidRequestBody(message: string, details: ErrorDetails): StripeErrorBody {
  return {
    type: "invalid_request_error",
    message,
    ...(details.code === undefined ? {} : { code: details.code, doc_url: docUrl(details.code) }),
    ...(details.param === undefined ? {} : { param: details.param }),
  };
}

/** A 400 raised while validating parameters, before anything executes: never stored. */
export function invalidRequest(message: string, details: ErrorDetails = {}): StripeApiError {
  return new StripeApiError(400, invalidRequestBody(message, details));
}

/**
 * A 400 raised by the endpoint itself because the object's state forbids the operation
 * (refunding more than is left, confirming a succeeded PaymentIntent): stored and replayed.
 */
export function invalidState(
  message: string,
  details: ErrorDetails & { paymentIntent?: PaymentIntent } = {},
): StripeApiError {
  const body = invalidRequestBody(message, details);
  if (details.paymentIntent) body.payment_intent = structuredClone(details.paymentIntent);
  return new StripeApiError(400, body, true);
}

export function missingParam(param: string): StripeApiError {
  return invalidRequest(`Missing required param: ${param}.`, { param, code: "parameter_missing" });
}

export function resourceMissing(resource: string, id: string, param: string): StripeApiError {
  return new StripeApiError(
    404,
    invalidRequestBody(`No such ${resource}: '${id}'`, { param, code: "resource_missing" }),
  );
}

export function unrecognizedUrl(method: string, path: string): StripeApiError {
  return new StripeApiError(404, {
    type: "invalid_request_error",
    message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  });
}

export function authenticationError(message: string): StripeApiError {
  return new StripeApiError(401, { type: "invalid_request_error", message });
}

export function internalApiError(): StripeApiError {
  return new StripeApiError(500, {
    type: "api_error",
    message: "An unknown error occurred",
  });
}
