import "server-only";
import { SpanStatusCode, trace, type Attributes, type Span, type SpanKind } from "@opentelemetry/api";

/**
 * The app's tracer. Until a tracer provider is registered (src/instrumentation.ts does so only
 * when OTEL_EXPORTER_OTLP_ENDPOINT is set) it is the API's no-op: spans record nothing, and
 * their callbacks run directly, with no context manager in between.
 */
const tracer = trace.getTracer("payments");

export type SpanOptions = {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The `error.type` of a span that throws (default: the error's name). */
  errorType?: (error: unknown) => string;
};

/**
 * Runs `work` inside a span, active for every await within it (the AsyncLocalStorage context
 * manager registered with the provider), so the spans it opens are its children and its log
 * lines carry its ids. A throw ends the span as an error (`error.type`) and is rethrown.
 */
export function withSpan<T>(name: string, work: (span: Span) => Promise<T>, options: SpanOptions = {}): Promise<T> {
  const { errorType = nameOf, ...spanOptions } = options;
  return tracer.startActiveSpan(name, spanOptions, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      // Not recordException: an error's message may quote what a caller sent.
      span.setAttribute("error.type", errorType(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : "_OTHER";
}
