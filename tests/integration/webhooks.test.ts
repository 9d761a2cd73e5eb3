import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { db } from "@/server/db";
import { stripe as stripeClient } from "@/server/stripe";
import type { StripeEvent } from "../../tools/stripe-emulator";
import { customer, pay, show, type TestCustomer, VALID_PAYMENT } from "../helpers/payments-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";
import { deliver, postWebhook, signature } from "../helpers/stripe-webhooks";

// No webhook URL is configured here: the emulator records its events and each test delivers
// them itself, signed, in the order (and as often) it wants.
const stripe = startStripeEmulatorForFile();

const THREE_D_SECURE = { ...VALID_PAYMENT, paymentMethod: "pm_card_authenticationRequired" } as const;

/** The emulator's event of `type` about the object `id` (or about a charge/refund of intent `id`). */
function eventOf(type: string, id: string): StripeEvent {
  const found = stripe.emulator
    .events({ type })
    .find((event) => event.data.object.id === id || event.data.object.payment_intent === id);
  if (!found) throw new Error(`no ${type} event for ${id}`);
  return found;
}

/** The same event under a new id and type: how a late or unusual delivery looks. */
function variant(event: StripeEvent, type: string, changes: Record<string, unknown> = {}) {
  return { ...event, id: `evt_${randomUUID().replaceAll("-", "")}`, type, data: { object: { ...event.data.object, ...changes } } };
}

const paymentRow = (id: string) => db().payment.findUniqueOrThrow({ where: { id } });
const eventRow = (id: string) => db().webhookEvent.findUnique({ where: { id } });

/** A payment left in requires_action by the API, then authenticated at Stripe (no webhook yet). */
async function authenticatedPayment() {
  const alice = await customer();
  const created = await pay(alice, { body: THREE_D_SECURE });
  expect(created.status).toBe(201);
  const payment = (await created.json()) as { id: string; status: string; paymentIntentId: string };
  expect(payment.status).toBe("requires_action");
  stripe.emulator.authenticatePaymentIntent(payment.paymentIntentId, "succeed");
  return { alice, payment, succeeded: eventOf("payment_intent.succeeded", payment.paymentIntentId) };
}

async function expectReceived(response: Response, body: object = { received: true }) {
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual(body);
}

describe("POST /api/webhooks/stripe — signature", () => {
  it("applies a correctly signed event: the webhook alone moves the payment to succeeded", async () => {
    const { alice, payment, succeeded } = await authenticatedPayment();
    expect((await paymentRow(payment.id)).status).toBe("requires_action");

    await expectReceived(await deliver(succeeded));

    expect((await paymentRow(payment.id)).status).toBe("succeeded");
    expect(await (await show(alice, payment.id)).json()).toMatchObject({ status: "succeeded" });
    const row = await eventRow(succeeded.id);
    expect(row).toMatchObject({ type: "payment_intent.succeeded" });
    expect(row?.processedAt).toBeInstanceOf(Date);
  });

  it("accepts a delivery signed four minutes ago, inside the five-minute tolerance", async () => {
    const { payment, succeeded } = await authenticatedPayment();
    const payload = JSON.stringify(succeeded);
    await expectReceived(await postWebhook(payload, signature(payload, { timestamp: Math.floor(Date.now() / 1000) - 240 })));
    expect((await paymentRow(payment.id)).status).toBe("succeeded");
  });

  it.each([
    ["signed with another secret", (payload: string) => ({ payload, header: signature(payload, { secret: "whsec_not_ours" }) })],
    [
      "a tampered body",
      (payload: string) => ({ payload: payload.replace('"amount": 2500', '"amount": 1'), header: signature(payload) }),
    ],
    ["no Stripe-Signature header", (payload: string) => ({ payload, header: null })],
    ["a malformed header", (payload: string) => ({ payload, header: "t=not-a-time,v1=beef" })],
    [
      "an expired timestamp (six minutes old)",
      (payload: string) => ({ payload, header: signature(payload, { timestamp: Math.floor(Date.now() / 1000) - 360 }) }),
    ],
  ])("refuses %s with 400 webhook_signature_invalid and writes nothing", async (_label, tamper) => {
    const { payment, succeeded } = await authenticatedPayment();
    const { payload, header } = tamper(JSON.stringify(succeeded, null, 2));
    expect(payload).toContain(succeeded.id);

    const response = await postWebhook(payload, header);

    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({ status: 400, code: "webhook_signature_invalid" });
    expect(await eventRow(succeeded.id)).toBeNull();
    expect((await paymentRow(payment.id)).status).toBe("requires_action");
  });
});

describe("POST /api/webhooks/stripe — at most once, in any order", () => {
  it("acknowledges a redelivered event as a duplicate and does nothing", async () => {
    const { payment, succeeded } = await authenticatedPayment();
    await expectReceived(await deliver(succeeded));
    const first = await eventRow(succeeded.id);

    await expectReceived(await deliver(succeeded), { received: true, duplicate: true });

    expect(await eventRow(succeeded.id)).toEqual(first);
    expect(await db().webhookEvent.count({ where: { id: succeeded.id } })).toBe(1);
    expect((await paymentRow(payment.id)).status).toBe("succeeded");
  });

  it("never moves a payment backwards: late requires_action, processing or payment_failed after succeeded", async () => {
    const { payment, succeeded } = await authenticatedPayment();
    const requiresAction = eventOf("payment_intent.requires_action", payment.paymentIntentId);

    await expectReceived(await deliver(succeeded));
    await expectReceived(await deliver(requiresAction));
    await expectReceived(await deliver(variant(requiresAction, "payment_intent.processing", { status: "processing" })));
    await expectReceived(
      await deliver(
        variant(requiresAction, "payment_intent.payment_failed", {
          status: "requires_payment_method",
          last_payment_error: { type: "card_error", code: "card_declined", decline_code: "generic_decline" },
        }),
      ),
    );

    expect(await paymentRow(payment.id)).toMatchObject({ status: "succeeded", failureCode: null });
    // Each late event was processed (acknowledged, recorded), just without effect.
    expect(await db().webhookEvent.count({ where: { id: requiresAction.id, processedAt: { not: null } } })).toBe(1);
  });

  it("moves forward in order: requires_action, then payment_failed, then a later success wins", async () => {
    const alice = await customer();
    const payment = await (await pay(alice, { body: THREE_D_SECURE })).json();
    stripe.emulator.authenticatePaymentIntent(payment.paymentIntentId, "fail");
    const failed = eventOf("payment_intent.payment_failed", payment.paymentIntentId);

    await expectReceived(await deliver(failed));
    expect(await paymentRow(payment.id)).toMatchObject({
      status: "failed",
      failureCode: "payment_intent_authentication_failure",
    });
    // Stripe lets a failed attempt be confirmed again (Stripe.js): its success must win.
    await expectReceived(await deliver(variant(failed, "payment_intent.succeeded", { status: "succeeded", last_payment_error: null })));
    expect(await paymentRow(payment.id)).toMatchObject({ status: "succeeded", failureCode: null });
  });

  it("processes ten concurrent deliveries of one event once", async () => {
    const alice = await customer();
    const payment = await (await pay(alice)).json();
    // A refund made outside the app (as from the Dashboard): only webhooks tell us.
    await stripeClient().refunds.create({ payment_intent: payment.paymentIntentId, amount: 1_000 });
    const chargeRefunded = eventOf("charge.refunded", payment.paymentIntentId);
    const refundCreated = eventOf("refund.created", payment.paymentIntentId);

    for (const event of [chargeRefunded, refundCreated]) {
      const payload = JSON.stringify(event, null, 2);
      const header = signature(payload);
      const responses = await Promise.all(Array.from({ length: 10 }, () => postWebhook(payload, header)));
      const bodies = await Promise.all(responses.map((r) => r.json()));
      expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(bodies.filter((b) => b.duplicate !== true)).toEqual([{ received: true }]);
      expect(bodies.filter((b) => b.duplicate === true)).toHaveLength(9);
    }

    expect((await paymentRow(payment.id)).amountRefunded).toBe(1_000);
    const refunds = await db().refund.findMany({ where: { paymentId: payment.id } });
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ amount: 1_000, status: "succeeded", userId: alice.id, idempotencyKeyId: null });
    expect(await (await show(alice, payment.id)).json()).toMatchObject({
      amountRefunded: 1_000,
      refunds: [{ id: refunds[0]!.id, amount: 1_000, status: "succeeded", stripeRefundId: refunds[0]!.stripeRefundId }],
    });
  });

  it("keeps the highest refunded total whatever the order of charge.refunded events", async () => {
    const alice = await customer();
    const payment = await (await pay(alice)).json();
    await stripeClient().refunds.create({ payment_intent: payment.paymentIntentId, amount: 500 });
    const first = eventOf("charge.refunded", payment.paymentIntentId);
    await stripeClient().refunds.create({ payment_intent: payment.paymentIntentId, amount: 700 });
    const second = stripe.emulator
      .events({ type: "charge.refunded" })
      .find((e) => e.data.object.payment_intent === payment.paymentIntentId && e.data.object.amount_refunded === 1_200);
    expect(second).toBeDefined();

    await expectReceived(await deliver(second!));
    await expectReceived(await deliver(first));
    expect((await paymentRow(payment.id)).amountRefunded).toBe(1_200);
  });
});

describe("POST /api/webhooks/stripe — a webhook before the API request completed", () => {
  async function lostCreate(alice: TestCustomer, key: string, body: object = VALID_PAYMENT) {
    // Stripe charges, then the connection drops (twice: stripe-node retries once by itself):
    // our request answers 503 and never completes, so no Payment row is written by it.
    stripe.emulator.setFaults({ dropNext: 2 });
    expect((await pay(alice, { key, body })).status).toBe(503);
    stripe.emulator.resetFaults();
    const [intent] = stripe.emulator.paymentIntents({ metadata: { user_id: alice.id } });
    expect(intent).toBeDefined();
    expect(await db().payment.count({ where: { userId: alice.id } })).toBe(0);
    return { intentId: intent!.id, paymentId: intent!.metadata.payment_id! };
  }

  it("creates the payment from the intent's metadata; the retried request then completes the same row", async () => {
    const alice = await customer();
    const key = randomUUID();
    const { intentId, paymentId } = await lostCreate(alice, key);
    const keyRow = await db().idempotencyKey.findUniqueOrThrow({ where: { userId_key: { userId: alice.id, key } } });

    await expectReceived(await deliver(eventOf("payment_intent.succeeded", intentId)));

    // Known from the webhook alone.
    expect(await paymentRow(paymentId)).toMatchObject({
      id: keyRow.id,
      userId: alice.id,
      status: "succeeded",
      amount: VALID_PAYMENT.amount,
      currency: VALID_PAYMENT.currency,
      stripePaymentIntentId: intentId,
      idempotencyKeyId: keyRow.id,
    });
    expect(await (await show(alice, paymentId)).json()).toMatchObject({ id: paymentId, status: "succeeded" });

    const retry = await pay(alice, { key });
    expect(retry.status).toBe(201);
    const body = await retry.json();
    expect(body).toMatchObject({ id: paymentId, status: "succeeded", paymentIntentId: intentId });
    const row = await paymentRow(paymentId);
    expect(row.createdAt.toISOString()).toBe(body.createdAt);
    expect(await db().payment.count({ where: { userId: alice.id } })).toBe(1);
    expect(stripe.emulator.paymentIntents({ metadata: { user_id: alice.id } })).toHaveLength(1);
  });

  it("keeps the webhook's newer status when the completion brings an older one", async () => {
    const alice = await customer();
    const key = randomUUID();
    const { intentId, paymentId } = await lostCreate(alice, key, THREE_D_SECURE);
    await expectReceived(await deliver(eventOf("payment_intent.requires_action", intentId)));
    stripe.emulator.authenticatePaymentIntent(intentId, "succeed");
    await expectReceived(await deliver(eventOf("payment_intent.succeeded", intentId)));

    // The retry re-drives our Stripe key: Stripe replays its first answer, requires_action.
    const retry = await pay(alice, { key, body: THREE_D_SECURE });
    expect(retry.status).toBe(201);
    expect(await retry.json()).toMatchObject({ id: paymentId, status: "requires_action" });
    expect((await paymentRow(paymentId)).status).toBe("succeeded");
  });

  it("takes the completion's status when it is the more advanced one", async () => {
    const alice = await customer();
    const key = randomUUID();
    const { intentId, paymentId } = await lostCreate(alice, key);
    const succeeded = eventOf("payment_intent.succeeded", intentId);
    await expectReceived(await deliver(variant(succeeded, "payment_intent.processing", { status: "processing" })));
    expect((await paymentRow(paymentId)).status).toBe("processing");

    expect((await pay(alice, { key })).status).toBe(201);
    expect((await paymentRow(paymentId)).status).toBe("succeeded");
  });
});

describe("POST /api/webhooks/stripe — what is not ours, or not handled", () => {
  it("acknowledges an intent without our metadata and writes no payment", async () => {
    const intent = await stripeClient().paymentIntents.create({
      amount: 1_000,
      currency: "usd",
      payment_method: "pm_card_visa",
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: "never" },
    });
    await expectReceived(await deliver(eventOf("payment_intent.succeeded", intent.id)));
    expect(await db().payment.count({ where: { stripePaymentIntentId: intent.id } })).toBe(0);
  });

  it("ignores an intent whose metadata names a user this database does not have", async () => {
    const intent = await stripeClient().paymentIntents.create({
      amount: 1_000,
      currency: "usd",
      payment_method: "pm_card_visa",
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: "never" },
      metadata: { payment_id: randomUUID(), user_id: randomUUID(), idempotency_key_id: randomUUID() },
    });
    await expectReceived(await deliver(eventOf("payment_intent.succeeded", intent.id)));
    expect(await db().payment.count({ where: { stripePaymentIntentId: intent.id } })).toBe(0);
  });

  it("acknowledges event types it does not handle", async () => {
    const alice = await customer();
    const payment = await (await pay(alice)).json();
    const chargeSucceeded = eventOf("charge.succeeded", payment.paymentIntentId);
    await expectReceived(await deliver(chargeSucceeded));
    expect((await eventRow(chargeSucceeded.id))?.processedAt).toBeInstanceOf(Date);
  });
});

describe("POST /api/webhooks/stripe — a handler failure", () => {
  afterEach(async () => {
    await db().$executeRawUnsafe("DROP TRIGGER IF EXISTS fail_payment_writes ON payments");
  });

  it("answers 500, leaves the event unprocessed, and the retry processes it", async () => {
    const { payment, succeeded } = await authenticatedPayment();
    expect(payment.paymentIntentId).toMatch(/^pi_\w+$/);
    // A real database failure, limited to this payment: every write to its row raises.
    await db().$executeRawUnsafe(`
      CREATE OR REPLACE FUNCTION fail_payment_write() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`);
    await db().$executeRawUnsafe(`
      CREATE TRIGGER fail_payment_writes BEFORE UPDATE ON payments FOR EACH ROW
      WHEN (OLD.stripe_payment_intent_id = '${payment.paymentIntentId}') EXECUTE FUNCTION fail_payment_write()`);

    const failed = await deliver(succeeded);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ code: "internal_error" });
    expect(await eventRow(succeeded.id)).toMatchObject({ type: "payment_intent.succeeded", processedAt: null });
    expect((await paymentRow(payment.id)).status).toBe("requires_action");

    await db().$executeRawUnsafe("DROP TRIGGER fail_payment_writes ON payments");
    await expectReceived(await deliver(succeeded));
    expect((await eventRow(succeeded.id))?.processedAt).toBeInstanceOf(Date);
    expect((await paymentRow(payment.id)).status).toBe("succeeded");
  });
});
