import { randomUUID } from "node:crypto";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type StripeEmulator, type StripeEvent, startStripeEmulator } from "./index";
import {
  NO_REDIRECTS,
  type WebhookReceiver,
  adminRequest,
  caught,
  field,
  startWebhookReceiver,
  stripeFor,
  testTag,
} from "./test-helpers";

const SECRET = "whsec_emulator_suite";

let emulator: StripeEmulator;
let stripe: Stripe;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  emulator = await startStripeEmulator({ webhookRetry: { baseDelayMs: 20, maxAttempts: 3 } });
  stripe = stripeFor(emulator);
});

afterEach(async () => {
  await emulator.flushWebhooks();
  emulator.resetFaults();
  emulator.setWebhook(null);
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

afterAll(async () => {
  await emulator.close();
});

async function receiver(respond?: (attempt: number) => number | Promise<number>): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver(respond);
  receivers.push(started);
  emulator.setWebhook(started.url, SECRET);
  return started;
}

/** Verifies each delivery exactly as the app's webhook route will. */
function verifiedEvents(target: WebhookReceiver): Stripe.Event[] {
  return target.received.map((delivery) => stripe.webhooks.constructEvent(delivery.body, delivery.signature, SECRET));
}

function pay(metadata: Record<string, string>, paymentMethod = "pm_card_visa"): Promise<Stripe.Response<Stripe.PaymentIntent>> {
  return stripe.paymentIntents.create(
    {
      amount: 2000,
      currency: "usd",
      metadata,
      payment_method: paymentMethod,
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
    },
    { idempotencyKey: randomUUID() },
  );
}

describe("webhook delivery", () => {
  it("posts signed events that stripe.webhooks.constructEvent accepts", async () => {
    const target = await receiver();
    const intent = await pay(testTag());
    await emulator.flushWebhooks();

    const events = verifiedEvents(target);
    expect(events.map((event) => event.type)).toEqual([
      "payment_intent.created",
      "charge.succeeded",
      "payment_intent.succeeded",
    ]);
    const succeeded = events[2];
    expect(succeeded).toMatchObject({
      object: "event",
      livemode: false,
      api_version: Stripe.API_VERSION,
      pending_webhooks: 1,
      request: { id: intent.lastResponse.requestId, idempotency_key: intent.lastResponse.idempotencyKey },
      data: { object: { id: intent.id, object: "payment_intent", status: "succeeded" } },
    });
    expect(succeeded?.id).toMatch(/^evt_/);
    // The created event is a snapshot from before the payment.
    expect(events[0]?.data.object).toMatchObject({ id: intent.id, status: "requires_confirmation" });
    expect(target.received[0]?.headers["content-type"]).toBe("application/json; charset=utf-8");
  });

  it("is signed with the configured secret only", async () => {
    const target = await receiver();
    await pay(testTag());
    await emulator.flushWebhooks();

    const delivery = target.received[0];
    expect(delivery?.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const error = await caught(async () =>
      stripe.webhooks.constructEvent(delivery?.body ?? "", delivery?.signature ?? "", "whsec_wrong"),
    );
    expect(error).toBeInstanceOf(Stripe.errors.StripeSignatureVerificationError);
  });

  it("sends payment_failed for a declined card and refund events for a refund", async () => {
    const target = await receiver();
    await caught(() => pay(testTag(), "pm_card_chargeDeclined"));
    const paid = await pay(testTag());
    await stripe.refunds.create({ payment_intent: paid.id, amount: 500 });
    await emulator.flushWebhooks();

    const types = verifiedEvents(target).map((event) => event.type);
    expect(types).toContain("payment_intent.payment_failed");
    expect(types).toContain("charge.failed");
    expect(types.slice(-2)).toEqual(["refund.created", "charge.refunded"]);
    const refunded = verifiedEvents(target).at(-1);
    expect(refunded?.data.object).toMatchObject({ object: "charge", amount_refunded: 500 });
  });

  it("retries after the endpoint answers 500, with the same event", async () => {
    const target = await receiver((attempt) => (attempt === 0 ? 500 : 200));
    const before = emulator.stats().webhookDeliveries;
    await stripe.paymentIntents.create({ amount: 1000, currency: "usd" });
    await emulator.flushWebhooks();

    const events = verifiedEvents(target);
    expect(events).toHaveLength(2);
    expect(events[1]?.id).toBe(events[0]?.id);
    const after = emulator.stats().webhookDeliveries;
    expect(after.attempted - before.attempted).toBe(2);
    expect(after.failed - before.failed).toBe(1);
    expect(after.succeeded - before.succeeded).toBe(1);

    const stored = await stripe.events.retrieve(events[0]?.id ?? "");
    expect(stored.pending_webhooks).toBe(0);
  });

  it("gives up after the configured number of attempts", async () => {
    const target = await receiver(() => 503);
    const before = emulator.stats().webhookDeliveries;
    await stripe.paymentIntents.create({ amount: 1000, currency: "usd" });
    await emulator.flushWebhooks();

    expect(target.received).toHaveLength(3);
    expect(emulator.stats().webhookDeliveries.abandoned - before.abandoned).toBe(1);
  });

  it("never delays the API response that caused the event", async () => {
    await receiver(() => new Promise((resolve) => setTimeout(() => resolve(200), 1_000)));
    const startedAt = Date.now();
    await stripe.paymentIntents.create({ amount: 1000, currency: "usd" });
    expect(Date.now() - startedAt).toBeLessThan(500);
  });

  it("resends an event with the same id on request", async () => {
    const target = await receiver();
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: "usd" });
    await emulator.flushWebhooks();
    const [created] = verifiedEvents(target);
    expect(created?.data.object).toMatchObject({ id: intent.id });

    const resent = await adminRequest(emulator, "POST", `/events/${created?.id ?? ""}/resend`);
    expect(resent.status).toBe(200);
    await emulator.flushWebhooks();

    const events = verifiedEvents(target);
    expect(events).toHaveLength(2);
    expect(events[1]?.id).toBe(created?.id);
  });

  it("can be pointed elsewhere at run time through the admin endpoint", async () => {
    const target = await startWebhookReceiver();
    receivers.push(target);
    const configured = await adminRequest(emulator, "POST", "/webhook", { url: target.url, secret: SECRET });
    expect(configured.status).toBe(200);

    await stripe.paymentIntents.create({ amount: 1000, currency: "usd" });
    await emulator.flushWebhooks();
    expect(verifiedEvents(target).map((event) => event.type)).toEqual(["payment_intent.created"]);

    const missingSecret = await adminRequest(emulator, "POST", "/webhook", { url: target.url });
    expect(missingSecret.status).toBe(400);
  });
});

/** A receiver that holds each answer a little, recording how many deliveries overlapped. */
async function slowReceiver(holdMs: number): Promise<{ target: WebhookReceiver; maxInFlight: () => number }> {
  let inFlight = 0;
  let maxInFlight = 0;
  const target = await receiver(async () => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    inFlight -= 1;
    return 200;
  });
  return { target, maxInFlight: () => maxInFlight };
}

/** Deliveries per event id, in order of first arrival. */
function deliveriesById(target: WebhookReceiver): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of verifiedEvents(target)) counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
  return counts;
}

describe("webhook delivery as Stripe does it: concurrent, out of order, duplicated", () => {
  it("still delivers every event at least once, some out of order and some twice", async () => {
    emulator.setFaults({ webhookConcurrency: 4, webhookShuffle: true, webhookDuplicateRate: 0.3, seed: 42 });
    const { target, maxInFlight } = await slowReceiver(15);
    const client = stripeFor(emulator, { apiKey: "sk_test_webhook_chaos" });
    const duplicatedBefore = emulator.stats().webhookDeliveries.duplicated;

    for (let payment = 0; payment < 10; payment += 1) {
      await client.paymentIntents.create({
        amount: 1000,
        currency: "usd",
        payment_method: "pm_card_visa",
        confirm: true,
        automatic_payment_methods: NO_REDIRECTS,
      });
    }
    await emulator.flushWebhooks();

    const happened = (await client.events.list({ limit: 100 })).data.map((event) => event.id).reverse();
    expect(happened).toHaveLength(30);
    const counts = deliveriesById(target);
    expect([...counts.keys()].sort()).toEqual([...happened].sort());
    const twice = [...counts.values()].filter((count) => count === 2).length;
    expect(twice).toBeGreaterThan(0);
    expect([...counts.values()].every((count) => count <= 2)).toBe(true);
    expect(emulator.stats().webhookDeliveries.duplicated - duplicatedBefore).toBe(twice);
    expect([...counts.keys()]).not.toEqual(happened);
    expect(maxInFlight()).toBeGreaterThan(1);
    expect(maxInFlight()).toBeLessThanOrEqual(4);
    // A duplicate does not count as a second endpoint: every event ends with nothing pending.
    const stored = await client.events.list({ limit: 100 });
    expect(stored.data.every((event) => event.pending_webhooks === 0)).toBe(true);
  });

  it("sends one first attempt at a time, in order, by default", async () => {
    const { target, maxInFlight } = await slowReceiver(15);
    const client = stripeFor(emulator, { apiKey: "sk_test_webhook_in_order" });
    for (let payment = 0; payment < 3; payment += 1) await client.paymentIntents.create({ amount: 1000, currency: "usd" });
    await emulator.flushWebhooks();

    const happened = (await client.events.list()).data.map((event) => event.id).reverse();
    expect(verifiedEvents(target).map((event) => event.id)).toEqual(happened);
    expect(maxInFlight()).toBe(1);
  });

  it("delivers the next event twice with webhookDuplicateNext", async () => {
    const set = await adminRequest(emulator, "POST", "/faults", { webhookDuplicateNext: 1 });
    expect(set).toMatchObject({ status: 200, json: { webhookDuplicateNext: 1 } });
    const target = await receiver();

    await stripe.paymentIntents.create({ amount: 1000, currency: "usd" });
    await emulator.flushWebhooks();

    const events = verifiedEvents(target);
    expect(events).toHaveLength(2);
    expect(events[1]?.id).toBe(events[0]?.id);
    expect(emulator.faults().webhookDuplicateNext).toBe(0);
  });
});

describe("event API versions", () => {
  it("stamps the endpoint's pinned version on deliveries; stored events keep the account's default", async () => {
    const target = await receiver();
    emulator.setWebhook(target.url, SECRET, { apiVersion: "2025-03-31.basil" });

    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: "usd" });
    await emulator.flushWebhooks();

    const [delivered] = verifiedEvents(target);
    expect(delivered).toMatchObject({ api_version: "2025-03-31.basil", data: { object: { id: intent.id } } });
    await expect(stripe.events.retrieve(delivered?.id ?? "")).resolves.toMatchObject({ api_version: Stripe.API_VERSION });
  });

  it("generates events in the account's default version, not in the version of the request that caused them", async () => {
    const accountDefault = "2025-03-31.basil";
    const other = await startStripeEmulator({ accountApiVersion: accountDefault });
    const target = await startWebhookReceiver();
    receivers.push(target);
    try {
      other.setWebhook(target.url, SECRET);
      // The SDK sends the version it pins on every request.
      const client = stripeFor(other);
      const intent = await client.paymentIntents.create({ amount: 1000, currency: "usd" });
      expect(intent.lastResponse.headers["stripe-version"]).toBe(Stripe.API_VERSION);
      await other.flushWebhooks();

      const [delivered] = verifiedEvents(target);
      expect(delivered?.api_version).toBe(accountDefault);
      expect((await client.events.list()).data[0]?.api_version).toBe(accountDefault);

      // An endpoint pinned to the SDK's version gets events in that version.
      other.setWebhook(target.url, SECRET, { apiVersion: Stripe.API_VERSION });
      await client.paymentIntents.create({ amount: 1000, currency: "usd" });
      await other.flushWebhooks();
      expect(verifiedEvents(target).at(-1)?.api_version).toBe(Stripe.API_VERSION);
    } finally {
      await other.close();
    }
  });

  it("refuses to pin an endpoint to a malformed version", async () => {
    const target = await startWebhookReceiver();
    receivers.push(target);
    const refused = await adminRequest(emulator, "POST", "/webhook", { url: target.url, secret: SECRET, apiVersion: "latest" });
    expect(refused.status).toBe(400);
    expect(() => emulator.setWebhook(target.url, SECRET, { apiVersion: "2025-3-31" })).toThrow(/Invalid API version/);
  });
});

describe("the events API", () => {
  it("lists and retrieves events, filtered by type", async () => {
    const client = stripeFor(emulator, { apiKey: "sk_test_events_account" });
    const intent = await client.paymentIntents.create({
      amount: 1000,
      currency: "usd",
      payment_method: "pm_card_visa",
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
    });

    const all = await client.events.list();
    expect(all.data.map((event) => event.type)).toEqual([
      "payment_intent.succeeded",
      "charge.succeeded",
      "payment_intent.created",
    ]);
    expect(all.data[0]?.pending_webhooks).toBe(0);

    const succeeded = await client.events.list({ type: "payment_intent.succeeded" });
    expect(succeeded.data).toHaveLength(1);
    const wildcard = await client.events.list({ type: "payment_intent.*" });
    expect(wildcard.data).toHaveLength(2);

    const one = await client.events.retrieve(succeeded.data[0]?.id ?? "");
    expect(field(one.data.object, "id")).toBe(intent.id);

    const local: StripeEvent[] = emulator.events({ type: "payment_intent.succeeded" });
    expect(local.some((event) => event.id === one.id)).toBe(true);
  });
});
