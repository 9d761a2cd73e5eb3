import "server-only";

/**
 * The OTLP/HTTP traces URL for OTEL_EXPORTER_OTLP_ENDPOINT, as the OpenTelemetry spec says
 * for that (base) variable: `v1/traces` appended to its path, whatever that path is.
 */
export function otlpTracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/traces`;
  return url.toString();
}
