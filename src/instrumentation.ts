import { env } from "./env";
import { registerTracing } from "./server/tracing/register-tracing";

// Runs once when a server instance starts: a bad configuration fails at boot, with one
// message naming every bad variable, instead of on the first request. Then tracing, if
// OTEL_EXPORTER_OTLP_ENDPOINT is set: before any request, so that Next.js's own spans and
// ours share one provider and one context manager.
export function register() {
  registerTracing(env());
}
