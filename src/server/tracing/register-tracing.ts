import "server-only";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import type { Env } from "@/env";
import { otlpTracesUrl } from "./otlp-traces-url";

/**
 * Registers the process's tracer provider, exporting over OTLP/HTTP, when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise registers nothing, and the OpenTelemetry API
 * stays a no-op (no spans, no context manager). `register()` also installs the
 * AsyncLocalStorage context manager, which carries the active span across a request's awaits,
 * and the W3C trace-context propagator, with which Next.js continues a caller's trace.
 */
export function registerTracing(config: Pick<Env, "OTEL_EXPORTER_OTLP_ENDPOINT" | "OTEL_SERVICE_NAME">): NodeTracerProvider | null {
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT) return null;
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ "service.name": config.OTEL_SERVICE_NAME })),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpTracesUrl(config.OTEL_EXPORTER_OTLP_ENDPOINT) }))],
  });
  provider.register();
  return provider;
}
