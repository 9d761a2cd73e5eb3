import { describe, expect, it, vi } from "vitest";
import { GET as metricsRoute } from "@/app/api/metrics/route";
import { loggedLines } from "../helpers/memory-log";
import { customer, pay, VALID_PAYMENT } from "../helpers/payments-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";

const METRICS_TOKEN = "metrics-token-for-tests-0123456789";
process.env.METRICS_TOKEN = METRICS_TOKEN;
process.env.LOG_LEVEL = "info";
const stripe = startStripeEmulatorForFile();

// The real logger configuration (level, redaction), writing into memory instead of stdout.
vi.mock("@/server/logger", async (importOriginal) => (await import("../helpers/memory-log")).loggerInMemory(await importOriginal()));
const lines = loggedLines;

describe("structured logs", () => {
  it("log one line per request with request id, user id and idempotency outcome, and no secrets", async () => {
    const alice = await customer();
    const key = "observability-key-1";
    const first = await pay(alice, { key, body: { ...VALID_PAYMENT, description: "log me not" } });
    const replay = await pay(alice, { key, body: { ...VALID_PAYMENT, description: "log me not" } });
    await pay(alice, { key, body: { ...VALID_PAYMENT, amount: 777 } });

    const requests = lines.filter((l) => l.msg === "request" && l.userId === alice.id);
    expect(requests.map((l) => [l.status, l.idempotency])).toEqual([
      [201, "created"],
      [201, "replayed"],
      [422, "mismatch"],
    ]);
    expect(requests[0]).toMatchObject({ requestId: first.headers.get("x-request-id"), method: "POST", path: "/api/payments" });
    expect(requests[1]).toMatchObject({ requestId: replay.headers.get("x-request-id") });
    expect(typeof requests[0]!.durationMs).toBe("number");
    // The Stripe call of the first request, findable in Stripe's dashboard by its request id.
    expect(requests[0]).toMatchObject({ stripeOperation: "payment_intents.create", stripeRequestId: expect.stringMatching(/^req_/) });
    expect(typeof requests[0]!.stripeMs).toBe("number");
    expect(requests[1]!.stripeRequestId).toBeUndefined(); // a replay calls nothing

    const everything = JSON.stringify(lines);
    const secret = alice.headers.Authorization!.replace("Bearer ", "");
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain("pm_card_visa");
    expect(everything).not.toContain("log me not");
  });

  it("logs a transient Stripe failure as released, and its retry as recovered", async () => {
    const alice = await customer();
    stripe.emulator.setFaults({ failNext: 1 });
    expect((await pay(alice, { key: "observability-released" })).status).toBe(503);
    expect((await pay(alice, { key: "observability-released" })).status).toBe(201);
    const requests = lines.filter((l) => l.msg === "request" && l.userId === alice.id);
    expect(requests.map((l) => [l.status, l.idempotency])).toEqual([
      [503, "released"],
      [201, "recovered"],
    ]);
  });

  it("redacts secrets that reach a log call anyway", async () => {
    const { logger } = await import("@/server/logger");
    logger().info({ headers: { authorization: "Bearer ipk_leak", cookie: "authjs.session-token=abc" }, user: { password: "hunter2" } }, "oops");
    const line = JSON.stringify(lines.at(-1));
    expect(line).toContain("[redacted]");
    expect(line).not.toMatch(/ipk_leak|session-token=abc|hunter2/);
  });
});

describe("GET /api/metrics", () => {
  const scrape = (authorization?: string) =>
    metricsRoute(new Request("http://localhost/api/metrics", { headers: authorization ? { Authorization: authorization } : {} }), {
      params: Promise.resolve({}),
    });

  it("requires the metrics token", async () => {
    for (const response of [await scrape(), await scrape("Bearer nope")]) {
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
    }
  });

  it("exposes request counters, idempotency outcomes and latency histograms in Prometheus text format", async () => {
    const alice = await customer();
    await pay(alice, { key: "metrics-key" });
    await pay(alice, { key: "metrics-key" });
    const response = await scrape(`Bearer ${METRICS_TOKEN}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    expect(text).toMatch(/payments_http_requests_total\{method="POST",route="\/api\/payments",status="201"\} \d+/);
    expect(text).toMatch(/payments_idempotency_outcomes_total\{outcome="created"\} [1-9]/);
    expect(text).toMatch(/payments_idempotency_outcomes_total\{outcome="replayed"\} [1-9]/);
    expect(text).toMatch(/payments_http_request_duration_seconds_bucket\{le="0.1",method="POST",route="\/api\/payments"\} \d+/);
    expect(text).toMatch(/payments_stripe_request_duration_seconds_count\{operation="payment_intents.create",result="ok"\} [1-9]/);
  });
});
