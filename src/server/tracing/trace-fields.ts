import "server-only";
import { isSpanContextValid, trace } from "@opentelemetry/api";

/**
 * The active span's ids, for a log line (pino's `mixin`): `{ trace_id, span_id }`, or nothing
 * when no span is active (tracing off: the no-op API has none). A new object
 * each call, since pino merges the line's own fields into it.
 */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
