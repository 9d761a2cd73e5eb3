import { randomUUID } from "node:crypto";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { db } from "@/server/db";
import { loggedLines } from "../helpers/memory-log";
import { customer, pay, show } from "../helpers/payments-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";

process.env.LOG_LEVEL = "info";
const stripe = startStripeEmulatorForFile();

// The real logger configuration (its trace-id mixin included), writing into memory.
vi.mock("@/server/logger", async (importOriginal) => (await import("../helpers/memory-log")).loggerInMemory(await importOriginal()));

// What src/instrumentation.ts registers when OTEL_EXPORTER_OTLP_ENDPOINT is set (the
// AsyncLocalStorage context manager included), with spans kept in memory, each as it ends.
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
afterAll(() => provider.shutdown());
beforeEach(() => exporter.reset());

/** The span of the request that answered `response`, found by its request id. */
function requestSpan(response: Response): ReadableSpan {
  const requestId = response.headers.get("x-request-id");
  const found = exporter.getFinishedSpans().filter((span) => span.attributes["payments.request_id"] === requestId);
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** The spans opened directly under `parent`, in the order they started. */
function childrenOf(parent: ReadableSpan): ReadableSpan[] {
  return exporter
    .getFinishedSpans()
    .filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
}

const names = (spans: ReadableSpan[]) => spans.map((span) => span.name);

async function waitForKey(userId: string, key: string) {
  for (let i = 0; i < 200; i++) {
    if (await db().idempotencyKey.findUnique({ where: { userId_key: { userId, key } } })) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the first request never claimed its key");
}

describe("a span per request, with the key store's statements and the Stripe call as children", () => {
  it("a new payment: claim, payment_intents.create (with Stripe's request id), complete; outcome created", async () => {
    const alice = await customer();
    const response = await pay(alice);
    expect(response.status).toBe(201);

    const span = requestSpan(response);
    expect(span.name).toBe("POST /api/payments");
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.attributes).toEqual({
      "http.request.method": "POST",
      "http.route": "/api/payments",
      "http.response.status_code": 201,
      "payments.request_id": response.headers.get("x-request-id"),
      "enduser.id": alice.id,
      "payments.idempotency.outcome": "created",
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);

    const children = childrenOf(span);
    expect(names(children)).toEqual(["idempotency.claim", "stripe.payment_intents.create", "idempotency.complete"]);
    const [claim, stripeCall] = children;
    expect(claim!.kind).toBe(SpanKind.CLIENT);
    expect(claim!.attributes).toMatchObject({ "db.system.name": "postgresql", "db.collection.name": "idempotency_keys" });
    expect(stripeCall!.attributes).toEqual({ "stripe.operation": "payment_intents.create", "stripe.request_id": expect.stringMatching(/^req_/) });
    expect(stripeCall!.status.code).toBe(SpanStatusCode.UNSET);
    // One trace, and every child within its parent's time.
    for (const child of children) {
      expect(child.spanContext().traceId).toBe(span.spanContext().traceId);
      expect(nanos(child.startTime)).toBeGreaterThanOrEqual(nanos(span.startTime));
      expect(nanos(child.endTime)).toBeLessThanOrEqual(nanos(span.endTime));
    }
  });

  it("a replay: claim only; outcome replayed", async () => {
    const alice = await customer();
    const key = randomUUID();
    await pay(alice, { key });
    exporter.reset();
    const replay = await pay(alice, { key });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");

    const span = requestSpan(replay);
    expect(span.attributes).toMatchObject({ "payments.idempotency.outcome": "replayed", "http.response.status_code": 201 });
    expect(names(childrenOf(span))).toEqual(["idempotency.claim"]);
  });

  it("a duplicate while the first is in flight: claim only; outcome in_progress, status 409; the two are separate traces", async () => {
    const alice = await customer();
    const key = randomUUID();
    stripe.emulator.setFaults({ latencyMs: 800 });
    const first = pay(alice, { key });
    await waitForKey(alice.id, key);
    const duplicate = await pay(alice, { key });
    expect(duplicate.status).toBe(409);
    const original = await first;
    expect(original.status).toBe(201);

    const span = requestSpan(duplicate);
    expect(span.attributes).toMatchObject({
      "http.response.status_code": 409,
      "payments.idempotency.outcome": "in_progress",
      "enduser.id": alice.id,
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET); // a 4xx is the caller's, not an error of ours
    expect(names(childrenOf(span))).toEqual(["idempotency.claim"]);
    // The requests overlapped, yet each span's children are its own.
    const originalSpan = requestSpan(original);
    expect(originalSpan.spanContext().traceId).not.toBe(span.spanContext().traceId);
    expect(names(childrenOf(originalSpan))).toEqual(["idempotency.claim", "stripe.payment_intents.create", "idempotency.complete"]);
  });

  it("a failed Stripe call is an error span; the key is released and the request is a 503 error span", async () => {
    const alice = await customer();
    stripe.emulator.setFaults({ failNext: 1 });
    const response = await pay(alice);
    expect(response.status).toBe(503);

    const span = requestSpan(response);
    expect(span.attributes).toMatchObject({ "payments.idempotency.outcome": "released", "error.type": "503" });
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    const children = childrenOf(span);
    // Stripe stores a 500 under its key: the engine retires the derived key, then releases ours.
    expect(names(children)).toEqual([
      "idempotency.claim",
      "stripe.payment_intents.create",
      "idempotency.advance_stripe_key_generation",
      "idempotency.release",
    ]);
    const stripeCall = children[1]!;
    expect(stripeCall.status.code).toBe(SpanStatusCode.ERROR);
    expect(stripeCall.attributes["error.type"]).toMatch(/^Stripe\w+Error$/);
    expect(stripeCall.attributes["stripe.request_id"]).toMatch(/^req_/);
  });

  it("names a span after its route template, never the raw path", async () => {
    const alice = await customer();
    const id = randomUUID();
    const response = await show(alice, id);
    expect(response.status).toBe(404);
    const span = requestSpan(response);
    expect(span.name).toBe("GET /api/payments/:id");
    expect(span.attributes["http.route"]).toBe("/api/payments/:id");
    expect(JSON.stringify(span.attributes)).not.toContain(id);
  });
});

describe("log lines carry the trace id", () => {
  it("the access log line of a request carries its span's trace_id and span_id", async () => {
    const alice = await customer();
    const response = await pay(alice);
    const requestId = response.headers.get("x-request-id");
    const line = loggedLines.find((l) => l.msg === "request" && l.requestId === requestId);
    const { traceId, spanId } = requestSpan(response).spanContext();
    expect(line).toMatchObject({ trace_id: traceId, span_id: spanId });
  });

  it("a line written outside any span has no trace fields", async () => {
    const { logger } = await import("@/server/logger");
    logger().info("outside");
    expect(loggedLines.at(-1)).toMatchObject({ msg: "outside" });
    expect(loggedLines.at(-1)).not.toHaveProperty("trace_id");
  });
});

function nanos([seconds, nanoseconds]: [number, number]): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds);
}
