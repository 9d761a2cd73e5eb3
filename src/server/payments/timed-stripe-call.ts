import "server-only";
import Stripe from "stripe";
import type { Annotate } from "@/server/http/with-route";
import { metrics } from "@/server/ops/metrics";


/**
 * Runs one Stripe call, recording its latency (SDK retries included) in the metrics and
 * Stripe's request id and latency on the request's log line: what an operator needs to
 * find the call in Stripe's dashboard.
 */
export async function timedStripeCall<T extends { lastResponse?: { requestId?: string } }>(
  operation: string,
  call: () => Promise<T>,
  annotate: Annotate = () => {},
): Promise<T> {
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
