import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { trace } from "@opentelemetry/api";
import { afterAll, describe, expect, it } from "vitest";
import { registerTracing } from "./register-tracing";
import { withSpan } from "./with-span";

type Received = { method?: string; url?: string; contentType?: string; body: string };

describe("registerTracing", () => {
  it("registers nothing without OTEL_EXPORTER_OTLP_ENDPOINT: the API stays a no-op", async () => {
    expect(registerTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_SERVICE_NAME: "payments" })).toBeNull();
    await withSpan("unrecorded", async (span) => expect(span.isRecording()).toBe(false));
  });

  describe("with an endpoint", () => {
    const received: Received[] = [];
    // A stand-in OTLP/HTTP collector on the loopback interface.
    const collector = createServer((request: IncomingMessage, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      request.on("end", () => {
        received.push({ method: request.method, url: request.url, contentType: request.headers["content-type"], body });
        response.writeHead(200, { "Content-Type": "application/json" }).end("{}");
      });
    });
    afterAll(() => new Promise((resolve) => collector.close(resolve)));

    it("exports spans as OTLP/HTTP JSON to <endpoint>/v1/traces, under OTEL_SERVICE_NAME", async () => {
      collector.listen(0, "127.0.0.1");
      await once(collector, "listening");
      const { port } = collector.address() as AddressInfo;
      const provider = registerTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/`, OTEL_SERVICE_NAME: "payments-test" });
      expect(provider).not.toBeNull();

      await withSpan("exported", async (span) => expect(span.isRecording()).toBe(true));
      await provider!.forceFlush();
      await provider!.shutdown();

      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ method: "POST", url: "/v1/traces", contentType: "application/json" });
      const body = received[0]!.body;
      expect(body).toContain('"name":"exported"');
      expect(body).toContain('{"key":"service.name","value":{"stringValue":"payments-test"}}');
      expect(trace.getActiveSpan()).toBeUndefined();
    });
  });
});
