import { randomUUID } from "node:crypto";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type StripeEmulator, startStripeEmulator } from "./index";
import { NO_REDIRECTS, caught, field, rawRequest, stripeFor, testTag } from "./test-helpers";

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

function paymentParams(metadata: Record<string, string>, amount = 1000): Stripe.PaymentIntentCreateParams {
  return {
    amount,
    currency: "usd",
    metadata,
    payment_method: "pm_card_visa",
    confirm: true,
    automatic_payment_methods: NO_REDIRECTS,
  };
}

describe("a retried key", () => {
  it("replays the first response without creating anything", async () => {
    const tag = testTag();
    const idempotencyKey = randomUUID();
    const replaysBefore = emulator.stats().idempotentReplays;

    const first = await stripe.paymentIntents.create(paymentParams(tag), { idempotencyKey });
    const second = await stripe.paymentIntents.create(paymentParams(tag), { idempotencyKey });

    expect(second.id).toBe(first.id);
    expect(second).toEqual(first);
    expect(first.lastResponse.headers["idempotent-replayed"]).toBeUndefined();
    expect(second.lastResponse.headers["idempotent-replayed"]).toBe("true");
    expect(second.lastResponse.headers["original-request"]).toBe(first.lastResponse.requestId);
    expect(second.lastResponse.requestId).not.toBe(first.lastResponse.requestId);
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(1);
    expect(emulator.stats().idempotentReplays).toBe(replaysBefore + 1);
  });

  it("replays status and body byte for byte, whatever the parameter order", async () => {
    const key = randomUUID();
    const send = (body: string) =>
      rawRequest(emulator, "POST", "/v1/payment_intents", { body, headers: { "Idempotency-Key": key } });

    const first = await send("amount=1200&currency=usd&metadata[a]=1&metadata[b]=2");
    const second = await send("metadata[b]=2&currency=usd&metadata[a]=1&amount=1200");

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.text).toBe(first.text);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.headers.get("idempotency-key")).toBe(key);
  });

  it("replays a declined card's 402 instead of charging the card again", async () => {
    const tag = testTag();
    const idempotencyKey = randomUUID();
    const params = { ...paymentParams(tag), payment_method: "pm_card_chargeDeclined" };

    const first = await caught(() => stripe.paymentIntents.create(params, { idempotencyKey }));
    const second = await caught(() => stripe.paymentIntents.create(params, { idempotencyKey }));

    expect(first).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(second).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(field(second, "charge")).toBe(field(first, "charge"));
    expect(field(second, "headers", "idempotent-replayed")).toBe("true");
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(1);
  });

  it("with other parameters is an idempotency_error", async () => {
    const tag = testTag();
    const idempotencyKey = randomUUID();
    await stripe.paymentIntents.create(paymentParams(tag, 1000), { idempotencyKey });

    const error = await caught(() => stripe.paymentIntents.create(paymentParams(tag, 2000), { idempotencyKey }));

    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(error).toMatchObject({ statusCode: 400, rawType: "idempotency_error" });
    expect(error).toHaveProperty(
      "message",
      expect.stringContaining("Keys for idempotent requests can only be used with the same parameters"),
    );
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(1);
  });

  it("on another endpoint is an idempotency_error", async () => {
    const idempotencyKey = randomUUID();
    const intent = await stripe.paymentIntents.create(paymentParams(testTag()), { idempotencyKey });

    const error = await caught(() => stripe.refunds.create({ payment_intent: intent.id }, { idempotencyKey }));

    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(error).toHaveProperty("message", expect.stringContaining("same endpoint"));
  });

  it("belongs to one account: another secret key with the same key creates its own object", async () => {
    const tag = testTag();
    const idempotencyKey = randomUUID();

    const mine = await stripeFor(emulator, { apiKey: "sk_test_idem_a" }).paymentIntents.create(paymentParams(tag), {
      idempotencyKey,
    });
    const theirs = await stripeFor(emulator, { apiKey: "sk_test_idem_b" }).paymentIntents.create(paymentParams(tag), {
      idempotencyKey,
    });

    expect(theirs.id).not.toBe(mine.id);
    expect(theirs.lastResponse.headers["idempotent-replayed"]).toBeUndefined();
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(2);
  });

  it("is not stored when validation fails, so the fixed request can reuse it", async () => {
    const tag = testTag();
    const idempotencyKey = randomUUID();

    const invalid = await caught(() => stripe.paymentIntents.create(paymentParams(tag, 10), { idempotencyKey }));
    expect(invalid).toMatchObject({ statusCode: 400, code: "amount_too_small" });

    const fixed = await stripe.paymentIntents.create(paymentParams(tag, 1000), { idempotencyKey });
    expect(fixed.status).toBe("succeeded");
    expect(fixed.lastResponse.headers["idempotent-replayed"]).toBeUndefined();
  });

  it("is ignored on GET requests", async () => {
    const response = await rawRequest(emulator, "GET", "/v1/payment_intents?limit=1", {
      headers: { "Idempotency-Key": randomUUID() },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("idempotent-replayed")).toBeNull();
  });
});

describe("concurrent requests with one key", () => {
  it("answers 409 idempotency_key_in_use while the first is still running", async () => {
    emulator.setFaults({ latencyMs: 300 });
    const key = randomUUID();
    const body = "amount=1000&currency=usd";
    const send = () => rawRequest(emulator, "POST", "/v1/payment_intents", { body, headers: { "Idempotency-Key": key } });

    const first = send();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const duplicate = await send();
    const original = await first;

    expect(original.status).toBe(200);
    expect(duplicate.status).toBe(409);
    expect(duplicate.json).toEqual({
      error: {
        type: "invalid_request_error",
        code: "idempotency_key_in_use",
        doc_url: "https://stripe.com/docs/error-codes/idempotency-key-in-use",
        message: expect.stringContaining(`another in-progress request using this Idempotent Key`),
      },
    });
  });

  it("creates exactly one PaymentIntent from 50 parallel SDK calls", async () => {
    // Latency keeps the first request running while the others arrive: they get 409s, which the
    // SDK retries, and then the replay.
    emulator.setFaults({ latencyMs: 100 });
    const client = stripeFor(emulator, { maxNetworkRetries: 5 });
    const tag = testTag();
    const idempotencyKey = randomUUID();
    const conflictsBefore = emulator.stats().idempotencyConflicts;

    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => client.paymentIntents.create(paymentParams(tag), { idempotencyKey })),
    );

    const ids = results.flatMap((result) => (result.status === "fulfilled" ? [result.value.id] : []));
    expect(ids).toHaveLength(50);
    expect(new Set(ids).size).toBe(1);
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(1);
    expect(emulator.stats().idempotencyConflicts).toBeGreaterThan(conflictsBefore);
  });
});

describe("key expiry", () => {
  it("forgets a key after 24 hours, and a reuse then runs as a new request", async () => {
    let offsetMs = 0;
    const clocked = await startStripeEmulator({ now: () => Date.now() + offsetMs });
    try {
      const client = stripeFor(clocked);
      const idempotencyKey = randomUUID();
      const tag = testTag();
      const first = await client.paymentIntents.create(paymentParams(tag), { idempotencyKey });

      offsetMs = 24 * 60 * 60 * 1000 - 60_000;
      const withinWindow = await client.paymentIntents.create(paymentParams(tag), { idempotencyKey });
      expect(withinWindow.id).toBe(first.id);

      offsetMs = 24 * 60 * 60 * 1000 + 1;
      const afterExpiry = await client.paymentIntents.create(paymentParams(tag), { idempotencyKey });
      expect(afterExpiry.id).not.toBe(first.id);
      expect(afterExpiry.lastResponse.headers["idempotent-replayed"]).toBeUndefined();
      expect(clocked.paymentIntents({ metadata: tag })).toHaveLength(2);
    } finally {
      await clocked.close();
    }
  });

  it("honours a configured TTL", async () => {
    const shortLived = await startStripeEmulator({ idempotencyTtlMs: 100 });
    try {
      const client = stripeFor(shortLived);
      const idempotencyKey = randomUUID();
      const first = await client.paymentIntents.create({ amount: 1000, currency: "usd" }, { idempotencyKey });
      await new Promise((resolve) => setTimeout(resolve, 150));
      const second = await client.paymentIntents.create({ amount: 1000, currency: "usd" }, { idempotencyKey });
      expect(second.id).not.toBe(first.id);
    } finally {
      await shortLived.close();
    }
  });
});
