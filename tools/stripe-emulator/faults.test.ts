import { randomUUID } from "node:crypto";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type StripeEmulator, startStripeEmulator } from "./index";
import { adminRequest, caught, field, rawRequest, stripeFor, testTag, visaPayment } from "./test-helpers";

let emulator: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  emulator = await startStripeEmulator();
  stripe = stripeFor(emulator);
});

afterEach(() => {
  emulator.resetFaults();
});

afterAll(async () => {
  await emulator.close();
});

describe("failNext", () => {
  it("answers 500 api_error before processing; the SDK's retry then succeeds once", async () => {
    emulator.setFaults({ failNext: 1 });
    const before = emulator.stats();
    const tag = testTag();

    const intent = await stripeFor(emulator, { maxNetworkRetries: 1 }).paymentIntents.create(visaPayment(tag));

    expect(intent.status).toBe("succeeded");
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(1);
    const after = emulator.stats();
    expect(after.requests - before.requests).toBe(2);
    expect(after.faultsInjectedByKind.error - before.faultsInjectedByKind.error).toBe(1);
    // The failure came before the key was claimed, so the retry executed rather than replayed.
    expect(after.idempotentReplays).toBe(before.idempotentReplays);
  });

  it("surfaces as StripeAPIError when the client does not retry", async () => {
    emulator.setFaults({ failNext: 1 });
    const tag = testTag();

    const error = await caught(() => stripeFor(emulator).paymentIntents.create(visaPayment(tag)));

    expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(error).toMatchObject({ statusCode: 500, rawType: "api_error" });
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(0);
  });
});

describe("dropNext", () => {
  it("charges, then drops the connection; the SDK retries with its own key and gets the replay", async () => {
    emulator.setFaults({ dropNext: 1 });
    const before = emulator.stats();
    const tag = testTag();

    // stripe-node retries a closed connection once even with retries off, reusing the
    // Idempotency-Key it generated for the first attempt.
    const intent = await stripeFor(emulator, { maxNetworkRetries: 0 }).paymentIntents.create(visaPayment(tag));

    expect(intent.status).toBe("succeeded");
    expect(intent.lastResponse.headers["idempotent-replayed"]).toBe("true");
    expect(intent.lastResponse.idempotencyKey).toMatch(/^stripe-node-retry-/);
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(1);
    expect(emulator.stats().faultsInjectedByKind.drop - before.faultsInjectedByKind.drop).toBe(1);
  });

  it("leaves the client with a connection error when the retry is dropped too", async () => {
    emulator.setFaults({ dropNext: 2 });
    const tag = testTag();

    const error = await caught(() => stripeFor(emulator).paymentIntents.create(visaPayment(tag)));

    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(1);
  });
});

describe("hangNext", () => {
  it("processes, then holds the answer past the client's timeout; the object exists", async () => {
    emulator.setFaults({ hangNext: 1, hangMs: 2_000 });
    const tag = testTag();
    const idempotencyKey = randomUUID();
    const client = stripeFor(emulator, { timeout: 300 });

    const error = await caught(() => client.paymentIntents.create(visaPayment(tag), { idempotencyKey }));

    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(error).toHaveProperty("message", expect.stringContaining("timeout"));
    const [created] = emulator.paymentIntents({ metadata: tag });
    expect(created?.status).toBe("succeeded");

    const retried = await client.paymentIntents.create(visaPayment(tag), { idempotencyKey });
    expect(retried.id).toBe(created?.id);
    expect(retried.lastResponse.headers["idempotent-replayed"]).toBe("true");
  });

  it("is survived by an SDK that retries timeouts", async () => {
    emulator.setFaults({ hangNext: 1, hangMs: 2_000 });
    const tag = testTag();

    const intent = await stripeFor(emulator, { timeout: 300, maxNetworkRetries: 1 }).paymentIntents.create(visaPayment(tag));

    expect(intent.lastResponse.headers["idempotent-replayed"]).toBe("true");
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(1);
  });
});

describe("latency and rates", () => {
  it("adds latencyMs before answering", async () => {
    emulator.setFaults({ latencyMs: 250 });
    const startedAt = Date.now();
    await stripeFor(emulator).paymentIntents.list({ limit: 1 });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(240);
  });

  it("fails every request at errorRate 1", async () => {
    emulator.setFaults({ errorRate: 1 });
    const responses = await Promise.all(
      Array.from({ length: 3 }, () => rawRequest(emulator, "GET", "/v1/payment_intents")),
    );
    expect(responses.map((response) => response.status)).toEqual([500, 500, 500]);
  });

  it("drops every request at dropAfterProcessRate 1, after processing", async () => {
    emulator.setFaults({ dropAfterProcessRate: 1 });
    const tag = testTag();
    const error = await caught(() => stripeFor(emulator).paymentIntents.create(visaPayment(tag)));
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(1);
  });

  it("applies only under pathPrefix when one is set", async () => {
    emulator.setFaults({ failNext: 1, pathPrefix: "/v1/refunds" });
    const client = stripeFor(emulator);

    const intent = await client.paymentIntents.create(visaPayment(testTag()));
    const error = await caught(() => client.refunds.create({ payment_intent: intent.id }));

    expect(error).toMatchObject({ statusCode: 500 });
    expect(emulator.faults().failNext).toBe(0);
  });
});

describe("failStoredNext", () => {
  it("stores the 500 under the key: every retry with it gets the same 500, and nothing exists", async () => {
    emulator.setFaults({ failStoredNext: 1 });
    const tag = testTag();
    const idempotencyKey = randomUUID();
    // Retries on: Stripe-Should-Retry: false is what keeps the SDK from hammering a stored 500.
    const client = stripeFor(emulator, { maxNetworkRetries: 2 });
    const before = emulator.stats();

    const first = await caught(() => client.paymentIntents.create(visaPayment(tag), { idempotencyKey }));
    const retried = await caught(() => client.paymentIntents.create(visaPayment(tag), { idempotencyKey }));

    for (const error of [first, retried]) {
      expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError);
      expect(error).toMatchObject({ statusCode: 500, rawType: "api_error" });
      expect(field(error, "headers", "stripe-should-retry")).toBe("false");
    }
    expect(field(first, "headers")).not.toHaveProperty("idempotent-replayed");
    expect(field(retried, "headers", "idempotent-replayed")).toBe("true");
    expect(field(retried, "headers", "original-request")).toBe(field(first, "requestId"));
    const after = emulator.stats();
    expect(after.requests - before.requests).toBe(2);
    expect(after.faultsInjectedByKind.stored_error - before.faultsInjectedByKind.stored_error).toBe(1);
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(0);
    const listed = await client.paymentIntents.list({ limit: 100 });
    expect(listed.data.filter((intent) => intent.metadata.test_run === tag.test_run)).toHaveLength(0);

    const withNewKey = await client.paymentIntents.create(visaPayment(tag), { idempotencyKey: randomUUID() });
    expect(withNewKey.status).toBe("succeeded");
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(1);
  });

  it("replays status and body byte for byte", async () => {
    emulator.setFaults({ failStoredNext: 1 });
    const key = randomUUID();
    const send = () =>
      rawRequest(emulator, "POST", "/v1/payment_intents", {
        body: "amount=1000&currency=usd",
        headers: { "Idempotency-Key": key },
      });

    const first = await send();
    const second = await send();

    expect(first.status).toBe(500);
    expect(first.json).toEqual({ error: { type: "api_error", message: expect.any(String) } });
    expect(second.status).toBe(500);
    expect(second.text).toBe(first.text);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.headers.get("original-request")).toBe(first.headers.get("request-id"));
    expect(second.headers.get("stripe-should-retry")).toBe("false");
  });

  it("lasts until the key expires, then the key runs as a new request", async () => {
    let offsetMs = 0;
    const clocked = await startStripeEmulator({ now: () => Date.now() + offsetMs, faults: { failStoredNext: 1 } });
    try {
      const client = stripeFor(clocked);
      const tag = testTag();
      const idempotencyKey = randomUUID();
      await caught(() => client.paymentIntents.create(visaPayment(tag), { idempotencyKey }));

      offsetMs = 24 * 60 * 60 * 1000 - 60_000;
      expect(await caught(() => client.paymentIntents.create(visaPayment(tag), { idempotencyKey }))).toMatchObject({
        statusCode: 500,
      });

      offsetMs = 24 * 60 * 60 * 1000 + 1;
      const afterExpiry = await client.paymentIntents.create(visaPayment(tag), { idempotencyKey });
      expect(afterExpiry.status).toBe("succeeded");
    } finally {
      await clocked.close();
    }
  });

  it("answers a request without a key (a GET) with a plain 500 that stores nothing", async () => {
    emulator.setFaults({ failStoredNext: 1 });

    const failed = await rawRequest(emulator, "GET", "/v1/payment_intents?limit=1");
    const next = await rawRequest(emulator, "GET", "/v1/payment_intents?limit=1");

    expect(failed.status).toBe(500);
    // Nothing was kept, so a retry runs anew: stripe-node's default (retry a 5xx) is right.
    expect(failed.headers.get("stripe-should-retry")).toBeNull();
    expect(next.status).toBe(200);
  });

  it("applies only under pathPrefix when one is set", async () => {
    emulator.setFaults({ failStoredNext: 1, pathPrefix: "/v1/refunds" });
    const intent = await stripe.paymentIntents.create(visaPayment(testTag()));
    const idempotencyKey = randomUUID();

    const first = await caught(() => stripe.refunds.create({ payment_intent: intent.id }, { idempotencyKey }));
    const retried = await caught(() => stripe.refunds.create({ payment_intent: intent.id }, { idempotencyKey }));

    expect(first).toMatchObject({ statusCode: 500 });
    expect(retried).toMatchObject({ statusCode: 500 });
    expect(field(retried, "headers", "idempotent-replayed")).toBe("true");
    expect(emulator.refunds({ payment_intent: intent.id })).toHaveLength(0);
    expect(emulator.faults().failStoredNext).toBe(0);
  });
});

describe("failStoredAfterProcessNext", () => {
  it("creates the PaymentIntent, yet stores and replays the 500 for its key", async () => {
    emulator.setFaults({ failStoredAfterProcessNext: 1 });
    const tag = testTag();
    const idempotencyKey = randomUUID();
    const client = stripeFor(emulator, { maxNetworkRetries: 2 });

    const first = await caught(() => client.paymentIntents.create(visaPayment(tag), { idempotencyKey }));
    const retries = await Promise.all(
      [1, 2, 3].map(() => caught(() => client.paymentIntents.create(visaPayment(tag), { idempotencyKey }))),
    );

    expect(first).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(first).toMatchObject({ statusCode: 500, rawType: "api_error" });
    expect(field(first, "headers", "stripe-should-retry")).toBe("false");
    for (const retry of retries) {
      expect(retry).toMatchObject({ statusCode: 500, rawType: "api_error" });
      expect(field(retry, "headers", "idempotent-replayed")).toBe("true");
    }

    // The payment happened: list and retrieve (which never lag) find it with its metadata.
    const listed = await client.paymentIntents.list({ limit: 100 });
    const made = listed.data.filter((intent) => intent.metadata.test_run === tag.test_run);
    expect(made).toHaveLength(1);
    const retrieved = await client.paymentIntents.retrieve(made[0]?.id ?? "");
    expect(retrieved).toMatchObject({ status: "succeeded", metadata: tag });
    const events = emulator.events().filter((event) => field(event.data.object, "id") === retrieved.id);
    expect(events.map((event) => event.type)).toContain("payment_intent.succeeded");

    const withNewKey = await client.paymentIntents.create(visaPayment(tag), { idempotencyKey: randomUUID() });
    expect(withNewKey.id).not.toBe(retrieved.id);
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(2);
  });

  it("creates the refund, yet stores the 500 (under pathPrefix)", async () => {
    emulator.setFaults({ failStoredAfterProcessNext: 1, pathPrefix: "/v1/refunds" });
    const intent = await stripe.paymentIntents.create(visaPayment(testTag()));
    const idempotencyKey = randomUUID();

    const first = await caught(() => stripe.refunds.create({ payment_intent: intent.id }, { idempotencyKey }));
    const retried = await caught(() => stripe.refunds.create({ payment_intent: intent.id }, { idempotencyKey }));

    expect(first).toMatchObject({ statusCode: 500 });
    expect(retried).toMatchObject({ statusCode: 500 });
    const refunds = await stripe.refunds.list({ payment_intent: intent.id });
    expect(refunds.data).toHaveLength(1);
  });

  it("leaves a request the endpoint refused before doing anything with its own, unstored answer", async () => {
    emulator.setFaults({ failStoredAfterProcessNext: 1 });
    const tag = testTag();
    const idempotencyKey = randomUUID();

    const invalid = await caught(() => stripe.paymentIntents.create({ ...visaPayment(tag), amount: 10 }, { idempotencyKey }));
    const fixed = await stripe.paymentIntents.create(visaPayment(tag), { idempotencyKey });

    expect(invalid).toMatchObject({ statusCode: 400, code: "amount_too_small" });
    expect(fixed.lastResponse.headers["idempotent-replayed"]).toBeUndefined();
  });
});

describe("the faults admin endpoint", () => {
  it("sets, reads and resets faults over HTTP", async () => {
    const set = await adminRequest(emulator, "POST", "/faults", { failNext: 1, latencyMs: 10 });
    expect(set).toMatchObject({ status: 200, json: { failNext: 1, latencyMs: 10 } });
    expect((await rawRequest(emulator, "GET", "/v1/payment_intents")).status).toBe(500);
    expect((await rawRequest(emulator, "GET", "/v1/payment_intents")).status).toBe(200);

    const reset = await adminRequest(emulator, "DELETE", "/faults");
    expect(reset).toMatchObject({ status: 200, json: { failNext: 0, latencyMs: 0 } });
  });

  it("rejects unknown or out-of-range faults", async () => {
    expect((await adminRequest(emulator, "POST", "/faults", { errorRate: 2 })).status).toBe(400);
    expect((await adminRequest(emulator, "POST", "/faults", { explode: true })).status).toBe(400);
    expect(() => emulator.setFaults({ dropNext: -1 })).toThrow(RangeError);
    expect(emulator.faults().errorRate).toBe(0);
  });

  it("resets data and counters with POST /_emulator/reset", async () => {
    const scratch = await startStripeEmulator();
    try {
      await stripeFor(scratch).paymentIntents.create({ amount: 1000, currency: "usd" });
      expect(scratch.stats().paymentIntents).toBe(1);

      const reset = await adminRequest(scratch, "POST", "/reset");

      expect(reset.status).toBe(200);
      expect(scratch.stats()).toMatchObject({ requests: 0, paymentIntents: 0, events: 0 });
    } finally {
      await scratch.close();
    }
  });
});
