import "server-only";
import { SpanKind } from "@opentelemetry/api";
import Stripe from "stripe";
import type { Annotate } from "@/server/http/with-route";
import { metrics } from "@/server/ops/metrics";
import { withSpan } from "@/server/tracing/with-span";

type StripeResponse = { lastResponse?: { requestId?: string } };

/**
 * Runs one Stripe call, recording its latency (SDK retries included) in the metrics and
 * Stripe's request id and latency on the request's log line: what an operator needs to
 * find the call in Stripe's dashboard. The call is a span of its own (`stripe.<operation>`)
 * with Stripe's request id, marked failed with Stripe's error type when it throws.
 */
export function timedStripeCall<T extends StripeResponse>(
  operation: string,
  call: () => Promise<T>,
  annotate: Annotate = () => {},
): Promise<T> {
  return withSpan(
    `stripe.${operation}`,
    (span) =>
      timed(operation, call, (fields) => {
        annotate(fields);
        if (fields.stripeRequestId) span.setAttribute("stripe.request_id", fields.stripeRequestId);
      }),
    { kind: SpanKind.CLIENT, attributes: { "stripe.operation": operation }, errorType: stripeErrorType },
  );
}

async function timed<T extends StripeResponse>(operation: string, call: () => Promise<T>, annotate: Annotate): Promise<T> {
  const started = performance.now();
  const finish = (result: string, stripeRequestId: string | undefined) => {
    const seconds = (performance.now() - started) / 1000;
    metrics().stripeDuration.observe({ operation, result }, seconds);
    annotate({ stripeOperation: operation, stripeRequestId, stripeMs: Math.round(seconds * 1000) });
  };
  try {
    const response = await call();
    finish("ok", response.lastResponse?.requestId);
    return response;
  } catch (error) {
    const stripeError = error instanceof Stripe.errors.StripeError ? error : undefined;
    finish(stripeError?.type ?? "error", stripeError?.requestId);
    throw error;
  }
}

function stripeErrorType(error: unknown): string {
  if (error instanceof Stripe.errors.StripeError) return error.type;
  return error instanceof Error ? error.name : "_OTHER";
}
