import "server-only";
import Stripe from "stripe";
import { ApiError } from "@/server/http/api-error";

const PROVIDER_RETRY_AFTER_SECONDS = 2;

/**
 * Maps a Stripe failure that is not a business outcome to our error. Transient failures
 * (network, timeouts, 5xx, 429, lock conflicts) are 503 + Retry-After and never stored:
 * the retry re-drives the same Stripe idempotency key, so it cannot charge twice.
 */
export function providerError(error: unknown): ApiError {
  if (error instanceof Stripe.errors.StripeInvalidRequestError && !(error instanceof Stripe.errors.StripeIdempotencyError)) {
    return new ApiError("invalid_request", error.message, {
      extensions: error.param ? { errors: [{ path: error.param, message: error.message }] } : {},
      cause: error,
    });
  }
  if (error instanceof Stripe.errors.StripeRateLimitError) {
    // Not stored by Stripe (the request was refused before it ran), so the same key is safe.
    return new ApiError("payment_provider_unavailable", "The payment provider is rate limiting this account; retry with the same Idempotency-Key.", {
      retryAfter: retryAfterOf(error) ?? PROVIDER_RETRY_AFTER_SECONDS,
      cause: error,
    });
  }
  if (isTransient(error)) {
    return new ApiError("payment_provider_unavailable", "The payment provider did not answer; retry with the same Idempotency-Key.", {
      retryAfter: retryAfterOf(error) ?? PROVIDER_RETRY_AFTER_SECONDS,
      cause: error,
    });
  }
  // Authentication / permission / idempotency errors are our misconfiguration or a bug: a 500,
  // logged by the route wrapper, and the key stays unfinished for a safe re-drive.
  throw error;
}

function isTransient(error: unknown): boolean {
  if (error instanceof Stripe.errors.StripeConnectionError) return true;
  if (error instanceof Stripe.errors.StripeAPIError) return true;
  if (error instanceof Stripe.errors.StripeRateLimitError) return true;
  if (error instanceof Stripe.errors.StripeError) {
    const status = error.statusCode ?? 0;
    return status === 409 || status >= 500;
  }
  return false;
}

/** Stripe's own `Retry-After` (seconds), when it sent one, bounded to a minute. */
function retryAfterOf(error: unknown): number | undefined {
  const header = error instanceof Stripe.errors.StripeError ? error.headers?.["retry-after"] : undefined;
  const seconds = typeof header === "string" && /^\d{1,6}$/.test(header.trim()) ? Number(header) : NaN;
  return Number.isFinite(seconds) ? Math.min(Math.max(seconds, 1), 60) : undefined;
}

