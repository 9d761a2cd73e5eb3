import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { traceFields } from "./trace-fields";
import { withSpan } from "./with-span";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("with no tracer provider registered (tracing off)", () => {
  it("runs the work and returns its value, with no span active and no trace fields", async () => {
    const seen = await withSpan("off", async (span) => {
      await tick();
      return { recording: span.isRecording(), active: trace.getActiveSpan(), fields: traceFields() };
    });
    expect(seen).toEqual({ recording: false, active: undefined, fields: {} });
  });

  it("rethrows what the work throws", async () => {
    await expect(withSpan("off", () => Promise.reject(new RangeError("no")))).rejects.toThrow(RangeError);
  });
});

describe("with a tracer provider", () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeAll(() => provider.register());
  afterAll(() => provider.shutdown());
  beforeEach(() => exporter.reset());

  it("makes spans opened inside the work, across awaits, its children", async () => {
    await withSpan("parent", async () => {
      await tick();
      await Promise.all([withSpan("a", tick), tick().then(() => withSpan("b", tick))]);
    });
    const spans = exporter.getFinishedSpans();
    const parent = spans.find((span) => span.name === "parent")!;
    expect(spans.map((span) => span.name).sort()).toEqual(["a", "b", "parent"]);
    for (const child of spans.filter((span) => span !== parent)) {
      expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    }
  });

  it("keeps the kind and attributes it is given", async () => {
    await withSpan("client", tick, { kind: SpanKind.CLIENT, attributes: { "db.system.name": "postgresql" } });
    const [span] = exporter.getFinishedSpans();
    expect(span).toMatchObject({ kind: SpanKind.CLIENT, attributes: { "db.system.name": "postgresql" } });
  });

  it("ends a span whose work throws as an error, with error.type and no message, and rethrows", async () => {
    await expect(withSpan("failing", () => Promise.reject(new RangeError("card 4242…")))).rejects.toThrow("card 4242…");
    await expect(withSpan("typed", () => Promise.reject(new Error("x")), { errorType: () => "StripeAPIError" })).rejects.toThrow();
    const [failing, typed] = exporter.getFinishedSpans();
    expect(failing!.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(failing!.attributes["error.type"]).toBe("RangeError");
    expect(failing!.events).toEqual([]); // no exception event: its message may quote the caller
    expect(typed!.attributes["error.type"]).toBe("StripeAPIError");
  });

  it("gives log lines the active span's ids, and none outside a span", async () => {
    const inside = await withSpan("logged", async (span) => {
      await tick();
      return { fields: traceFields(), ids: span.spanContext() };
    });
    expect(inside.fields).toEqual({ trace_id: inside.ids.traceId, span_id: inside.ids.spanId });
    expect(inside.fields.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(traceFields()).toEqual({});
  });
});
