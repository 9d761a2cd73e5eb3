import "server-only";
import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";
import type { IdempotencyOutcome } from "@/server/idempotency/with-idempotency";
import { httpLabels } from "@/server/ops/metrics";
import { withSpan } from "./with-span";

/** What a request's span records once it is answered. */
export type RequestSummary = {
  method: string;
  pathname: string;
  status: number;
  requestId: string;
  userId?: string;
  idempotency?: IdempotencyOutcome;
};

/**
 * Runs a request inside its span. Under `next start` with tracing on, Next.js has already
 * opened its server spans (the trace's root, continuing a `traceparent` the caller sent) and
 * `executing api route (app) <route>` below them: ours is that span's child, an internal span,
 * so one trace holds Next's spans and ours. Without a span around it (the tests, a script)
 * ours is the root, a server span.
 */
export function inRequestSpan(work: (span: Span) => Promise<Response>): Promise<Response> {
  return withSpan("request", work, { kind: trace.getActiveSpan() ? SpanKind.INTERNAL : SpanKind.SERVER });
}

/** Names the request's span after its route template and records how it was answered. */
export function describeRequestSpan(span: Span, summary: RequestSummary): void {
  if (!span.isRecording()) return;
  const { name, attributes, failed } = requestSpanAttributes(summary);
  span.updateName(name);
  span.setAttributes(attributes);
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
}

/**
 * The span's name and attributes (OpenTelemetry's HTTP server conventions, plus ours). The
 * route is the metrics' template, never the raw path, so ids stay out of span names; only a
 * 5xx marks the span failed (a 4xx is the caller's error, not ours).
 */
export function requestSpanAttributes(summary: RequestSummary): { name: string; attributes: Attributes; failed: boolean } {
  const labels = httpLabels(summary.method, summary.pathname, summary.status);
  const method = labels.method === "OTHER" ? "_OTHER" : labels.method;
  const failed = summary.status >= 500;
  const attributes: Attributes = {
    "http.request.method": method,
    "http.route": labels.route,
    "http.response.status_code": summary.status,
    "payments.request_id": summary.requestId,
  };
  if (summary.userId !== undefined) attributes["enduser.id"] = summary.userId;
  if (summary.idempotency !== undefined) attributes["payments.idempotency.outcome"] = summary.idempotency;
  if (failed) attributes["error.type"] = String(summary.status);
  return { name: `${method} ${labels.route}`, attributes, failed };
}
