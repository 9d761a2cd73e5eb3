import { randomUUID } from "node:crypto";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type StripeEmulator, startStripeEmulator } from "./index";
import { adminRequest, caught, field, rawRequest, stripeFor, testTag, visaPayment } from "./test-helpers";

let emulator: StripeEmulator;
// The rate limiter counts on the emulator's clock; the tests move it instead of sleeping.
let clockMs = Date.now();

beforeAll(async () => {
  emulator = await startStripeEmulator({ now: () => clockMs });
});

afterEach(() => {
  emulator.resetFaults();
  clockMs += 10_000;
});

afterAll(async () => {
  await emulator.close();
});

function settledErrors(results: PromiseSettledResult<unknown>[]): unknown[] {
  return results.flatMap((result) => (result.status === "rejected" ? [result.reason] : []));
}

describe("rateLimitPerSecond", () => {
  it("answers a burst over the limit with 429s the SDK raises as StripeRateLimitError", async () => {
    emulator.setFaults({ rateLimitPerSecond: 5 });
    const client = stripeFor(emulator, { apiKey: "sk_test_rate_burst" });

    const results = await Promise.allSettled(Array.from({ length: 8 }, () => client.paymentIntents.list({ limit: 1 })));

    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(5);
    const refused = settledErrors(results);
    expect(refused).toHaveLength(3);
    for (const error of refused) {
      expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      expect(error).toMatchObject({ statusCode: 429, type: "StripeRateLimitError", code: "rate_limit" });
      expect(field(error, "headers", "stripe-rate-limited-reason")).toBe("global-rate");
      // Stripe sends no Retry-After; neither does the emulator.
      expect(field(error, "headers")).not.toHaveProperty("retry-after");
    }
    expect(emulator.stats().faultsInjectedByKind.rate_limit).toBeGreaterThanOrEqual(3);

    // Each secret key is its own account with its own budget.
    await expect(stripeFor(emulator, { apiKey: "sk_test_rate_other" }).paymentIntents.list()).resolves.toBeDefined();
    // A second later the account is back under its limit.
    clockMs += 1_000;
    await expect(client.paymentIntents.list()).resolves.toBeDefined();
  });

  it("answers with Stripe's error body", async () => {
    emulator.setFaults({ rateLimitPerSecond: 1 });
    await rawRequest(emulator, "GET", "/v1/payment_intents", { apiKey: "sk_test_rate_body" });

    const refused = await rawRequest(emulator, "GET", "/v1/payment_intents", { apiKey: "sk_test_rate_body" });

    expect(refused.status).toBe(429);
    expect(refused.json).toEqual({
      error: {
        type: "invalid_request_error",
        code: "rate_limit",
        doc_url: "https://stripe.com/docs/error-codes/rate-limit",
        message: expect.stringContaining("request rate limit exceeded"),
      },
    });
    expect(refused.headers.get("retry-after")).toBeNull();
    expect(refused.headers.get("stripe-should-retry")).toBeNull();
  });

  it("processes none of the refused requests; retried later with their keys, each payment is made once", async () => {
    emulator.setFaults({ rateLimitPerSecond: 4 });
    const client = stripeFor(emulator, { apiKey: "sk_test_rate_payments", maxNetworkRetries: 2 });
    const tag = testTag();
    const keys = Array.from({ length: 10 }, () => randomUUID());
    const requestsBefore = emulator.stats().requests;

    const burst = await Promise.allSettled(keys.map((key) => client.paymentIntents.create(visaPayment(tag), { idempotencyKey: key })));

    // stripe-node does not retry a 429 on its own (no Stripe-Should-Retry: true).
    expect(emulator.stats().requests - requestsBefore).toBe(10);
    const refusedKeys = keys.filter((_, index) => burst[index]?.status === "rejected");
    expect(refusedKeys).toHaveLength(6);
    expect(settledErrors(burst).every((error) => error instanceof Stripe.errors.StripeRateLimitError)).toBe(true);
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(4);

    // A client that backs off for a second, then paces itself to the limit: one request every 250 ms.
    clockMs += 1_000;
    const retried = [];
    for (const key of refusedKeys) {
      clockMs += 250;
      retried.push(await client.paymentIntents.create(visaPayment(tag), { idempotencyKey: key }));
    }

    // Nothing was stored under the refused keys: the retries ran, they were not replays.
    expect(retried.every((intent) => intent.lastResponse.headers["idempotent-replayed"] === undefined)).toBe(true);
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(10);
  });

  it("is off by default and with 0", async () => {
    emulator.setFaults({ rateLimitPerSecond: 0 });
    const client = stripeFor(emulator, { apiKey: "sk_test_rate_off" });
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => client.paymentIntents.list({ limit: 1 })));
    expect(results.every((result) => result.status === "fulfilled")).toBe(true);
  });
});

describe("rateLimitNext", () => {
  it("refuses the next keyed request without storing it; the same key later runs normally", async () => {
    emulator.setFaults({ rateLimitNext: 1 });
    const client = stripeFor(emulator);
    const tag = testTag();
    const idempotencyKey = randomUUID();

    const refused = await caught(() => client.paymentIntents.create(visaPayment(tag), { idempotencyKey }));
    expect(refused).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(0);

    const retried = await client.paymentIntents.create(visaPayment(tag), { idempotencyKey });
    expect(retried.status).toBe("succeeded");
    expect(retried.lastResponse.headers["idempotent-replayed"]).toBeUndefined();
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(1);
  });

  it("applies only under pathPrefix when one is set, and can be set over HTTP", async () => {
    const set = await adminRequest(emulator, "POST", "/faults", { rateLimitNext: 1, pathPrefix: "/v1/refunds" });
    expect(set).toMatchObject({ status: 200, json: { rateLimitNext: 1, pathPrefix: "/v1/refunds" } });
    const client = stripeFor(emulator);

    const intent = await client.paymentIntents.create(visaPayment(testTag()));
    const refused = await caught(() => client.refunds.create({ payment_intent: intent.id }));

    expect(refused).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(emulator.faults().rateLimitNext).toBe(0);
    await expect(client.refunds.create({ payment_intent: intent.id })).resolves.toMatchObject({ status: "succeeded" });
  });
});
