import { describe, expect, it } from "vitest";
import { otlpTracesUrl } from "./otlp-traces-url";

describe("otlpTracesUrl", () => {
  it.each([
    ["http://collector:4318", "http://collector:4318/v1/traces"],
    ["http://collector:4318/", "http://collector:4318/v1/traces"],
    ["https://otel.example.com/otlp", "https://otel.example.com/otlp/v1/traces"],
    ["https://otel.example.com/otlp//", "https://otel.example.com/otlp/v1/traces"],
  ])("appends v1/traces to the base endpoint %s", (endpoint, expected) => {
    expect(otlpTracesUrl(endpoint)).toBe(expected);
  });

  it("keeps a query string the collector needs", () => {
    expect(otlpTracesUrl("https://otel.example.com/otlp?tenant=a")).toBe("https://otel.example.com/otlp/v1/traces?tenant=a");
  });
});
