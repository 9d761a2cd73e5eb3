import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { db } from "@/server/db";
import { stripe as stripeClient } from "@/server/stripe";
import type { StripeEvent } from "../../tools/stripe-emulator";
import { loggedLines } from "../helpers/memory-log";
import { customer, pay, show, type TestCustomer, VALID_PAYMENT } from "../helpers/payments-api";
import { refund } from "../helpers/refunds-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";
import { deliver, deliverPayload, intentMadeElsewhere, postWebhook, signature } from "../helpers/stripe-webhooks";

// No webhook URL is configured here: the emulator records its events and each test delivers
// them itself, signed, in the order (and as often) it wants.
process.env.LOG_LEVEL = "warn";
const stripe = startStripeEmulatorForFile();

// The real logger configuration, writing into memory: an ignored event must be logged as a
// warning with its id, and never as an error.
vi.mock("@/server/logger", async (importOriginal) => (await import("../helpers/memory-log")).loggerInMemory(await importOriginal()));
const logLines = loggedLines;
const logOf = (response: Response) => logLines.filter((line) => line.requestId === response.headers.get("x-request-id"));

const THREE_D_SECURE = { ...VALID_PAYMENT, paymentMethod: "pm_card_authenticationRequired" } as const;

/** The emulator's event of `type` about the object `id` (or about a charge/refund of intent `id`). */
function eventOf(type: string, id: string): StripeEvent {
  const found = stripe.emulator
    .events({ type })
    .find((event) => event.data.object.id === id || event.data.object.payment_intent === id);
  if (!found) throw new Error(`no ${type} event for ${id}`);
  return found;
}

/** A charge.dispute.* event as Stripe sends it (docs.stripe.com/api/disputes/object). */
function disputeEvent(type: string, dispute: { id: string; payment_intent: string; amount: number; status: string; reason: string }) {
  return {
    id: `evt_${randomUUID().replaceAll("-", "")}`,
    object: "event",
    type,
    created: Math.floor(Date.now() / 1000),
    data: { object: { object: "dispute", currency: "eur", charge: "ch_disputed", created: Math.floor(Date.now() / 1000), ...dispute } },
  };
}

/** The same event under a new id and type: how a late or unusual delivery looks. */
function variant(event: StripeEvent, type: string, changes: Record<string, unknown> = {}) {
  return { ...event, id: `evt_${randomUUID().replaceAll("-", "")}`, type, data: { object: { ...event.data.object, ...changes } } };
}

const paymentRow = (id: string) => db().payment.findFirstOrThrow({ where: { id } });
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

/** 200 with `ignored`, one warning naming the event, and no error logged. */
async function expectIgnored(response: Response, reason: "connect_event" | "malformed_event", eventId: string | null) {
  await expectReceived(response, { received: true, ignored: reason });
  const lines = logOf(response);
  expect(lines.filter((line) => line.level >= 50)).toEqual([]);
  expect(lines.filter((line) => line.level === 40)).toEqual([
    expect.objectContaining({ msg: "Stripe event ignored", stripeEventId: eventId, reason }),
  ]);
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

  it("sums the refunds whatever the order of their events; charge.refunded alone changes nothing", async () => {
    const alice = await customer();
    const payment = await (await pay(alice)).json();
    const first = await stripeClient().refunds.create({ payment_intent: payment.paymentIntentId, amount: 500 });
    const second = await stripeClient().refunds.create({ payment_intent: payment.paymentIntentId, amount: 700 });
    const created = (id: string) => stripe.emulator.events({ type: "refund.created" }).find((e) => e.data.object.id === id)!;

    // Stripe's running total goes back down when a refund fails: it is never what counts.
    await expectReceived(await deliver(eventOf("charge.refunded", payment.paymentIntentId)));
    expect((await paymentRow(payment.id)).amountRefunded).toBe(0);
    await expectReceived(await deliver(created(second.id)));
    await expectReceived(await deliver(created(first.id)));
    expect((await paymentRow(payment.id)).amountRefunded).toBe(1_200);
  });

  it("a refund that fails later is shown failed and no longer counted, whatever the order of its events", async () => {
    const alice = await customer();
    const payment = await (await pay(alice)).json();
    const made = await stripeClient().refunds.create({ payment_intent: payment.paymentIntentId, amount: 1_000 });
    const createdEvent = stripe.emulator.events({ type: "refund.created" }).find((e) => e.data.object.id === made.id)!;
    const failed = variant(createdEvent, "refund.failed", { status: "failed", failure_reason: "expired_or_canceled_card" });
    const lateSucceeded = variant(createdEvent, "refund.updated", { status: "succeeded" });

    await expectReceived(await deliver(failed));
    await expectReceived(await deliver(createdEvent)); // the creation arrives after the failure
    await expectReceived(await deliver(lateSucceeded)); // and a stale update after both
    expect(await paymentRow(payment.id)).toMatchObject({ amountRefunded: 0, amountRefundFailed: 1_000 });
    expect(await (await show(alice, payment.id)).json()).toMatchObject({
      amountRefunded: 0,
      amountRefundFailed: 1_000,
      refunds: [{ amount: 1_000, status: "failed", stripeRefundId: made.id }],
    });
  });

  it("records a dispute on the payment and moves it forward only, whatever the order of its events", async () => {
    const alice = await customer();
    const payment = await (await pay(alice)).json();
    const dispute = (type: string, status: string) =>
      disputeEvent(type, { id: "du_test_1", payment_intent: payment.paymentIntentId, amount: 2_500, status, reason: "fraudulent" });

    await expectReceived(await deliver(dispute("charge.dispute.closed", "lost")));
    await expectReceived(await deliver(dispute("charge.dispute.created", "needs_response"))); // late
    await expectReceived(await deliver(dispute("charge.dispute.updated", "under_review"))); // late
    expect(await paymentRow(payment.id)).toMatchObject({ status: "succeeded", disputeId: "du_test_1", disputeStatus: "lost", disputeAmount: 2_500 });
    expect(await (await show(alice, payment.id)).json()).toMatchObject({
      status: "succeeded",
      dispute: { id: "du_test_1", status: "lost", reason: "fraudulent", amount: 2_500 },
    });
    // A dispute names only its PaymentIntent: the payment's user is read by it, and if two
    // users' rows hold that intent (never made by the app: ids are unique per user only, see
    // migration 20261201120000), neither is touched.
    const mallory = await customer();
    await db().$executeRaw`INSERT INTO payments (id, user_id, amount, currency, status, stripe_payment_intent_id, updated_at)
      VALUES (gen_random_uuid(), ${mallory.id}::uuid, 100, 'eur', 'succeeded', ${payment.paymentIntentId}, now())`;
    await expectReceived(await deliver(disputeEvent("charge.dispute.created", { id: "du_twice", payment_intent: payment.paymentIntentId, amount: 1, status: "needs_response", reason: "general" })));
    expect(await db().payment.count({ where: { disputeId: "du_twice" } })).toBe(0);
    // A dispute about an intent that is not ours changes nothing.
    await expectReceived(await deliver(disputeEvent("charge.dispute.created", { id: "du_other", payment_intent: "pi_not_ours", amount: 1, status: "needs_response", reason: "general" })));
    expect(await db().payment.count({ where: { disputeId: "du_other" } })).toBe(0);
  });
});

/** A payment whose create request was charged but never completed: its key row is all we hold. */
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

describe("POST /api/webhooks/stripe — a webhook before the API request completed", () => {
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
    const intent = await intentMadeElsewhere();
    await expectReceived(await deliver(eventOf("payment_intent.succeeded", intent.id)));
    expect(await db().payment.count({ where: { stripePaymentIntentId: intent.id } })).toBe(0);
  });

  it("ignores an intent whose metadata names a user this database does not have", async () => {
    const intent = await intentMadeElsewhere({ payment_id: randomUUID(), user_id: randomUUID(), idempotency_key_id: randomUUID() });
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

/** A PaymentIntent made with our secret key but not through our API, and its succeeded event. */
async function succeededElsewhere(metadata: Record<string, string>) {
  const intent = await intentMadeElsewhere(metadata);
  return { intent, succeeded: eventOf("payment_intent.succeeded", intent.id) };
}

const keyRowOf = (who: TestCustomer, key: string) =>
  db().idempotencyKey.findUniqueOrThrow({ where: { userId_key: { userId: who.id, key } } });

/** Acknowledged and recorded as processed, with no payment for the intent. */
async function expectNoPaymentFrom(event: StripeEvent, intentId: string) {
  await expectReceived(await deliver(event));
  expect((await eventRow(event.id))?.processedAt).toBeInstanceOf(Date);
  expect(await db().payment.count({ where: { stripePaymentIntentId: intentId } })).toBe(0);
}

describe("POST /api/webhooks/stripe — metadata alone is never trusted", () => {
  it("advances a payment we hold from an event whose metadata names no user (edited at Stripe): routed by the intent", async () => {
    const { payment, succeeded } = await authenticatedPayment();
    for (const metadata of [{}, { user_id: "not-a-uuid\u0000" }]) {
      await expectReceived(await deliver(variant(succeeded, "payment_intent.processing", { metadata, status: "processing" })));
    }
    expect(await paymentRow(payment.id)).toMatchObject({ status: "processing" });
  });

  it("applies an intent's event to the user its metadata names only: a copy naming another user touches no one", async () => {
    const { payment, succeeded } = await authenticatedPayment();
    const bob = await customer();
    const object = succeeded.data.object as { metadata: Record<string, string> };
    await expectReceived(await deliver(variant(succeeded, succeeded.type, { metadata: { ...object.metadata, user_id: bob.id } })));
    expect(await paymentRow(payment.id)).toMatchObject({ status: "requires_action" });
    expect(await db().payment.count({ where: { userId: bob.id } })).toBe(0);
    await expectReceived(await deliver(succeeded));
    expect(await paymentRow(payment.id)).toMatchObject({ status: "succeeded" });
  });

  it("ignores an intent whose metadata names a real user but no key row of theirs", async () => {
    const alice = await customer();
    const id = randomUUID();
    const { intent, succeeded } = await succeededElsewhere({ payment_id: id, idempotency_key_id: id, user_id: alice.id });

    await expectNoPaymentFrom(succeeded, intent.id);
    expect(await db().payment.count({ where: { OR: [{ id }, { userId: alice.id }] } })).toBe(0);
    expect(await (await show(alice, id)).json()).toMatchObject({ status: 404 });
  });

  it("ignores an intent whose metadata names another user's key row (user_id mismatch)", async () => {
    const [alice, bob] = [await customer(), await customer()];
    const bobsKey = randomUUID();
    const bobs = await lostCreate(bob, bobsKey); // bob's key row exists, with no payment yet
    const keyId = (await keyRowOf(bob, bobsKey)).id;
    const { intent, succeeded } = await succeededElsewhere({ payment_id: keyId, idempotency_key_id: keyId, user_id: alice.id });

    await expectNoPaymentFrom(succeeded, intent.id);
    expect(await db().payment.count({ where: { userId: { in: [alice.id, bob.id] } } })).toBe(0);

    // The key row still vouches for bob's own intent.
    await expectReceived(await deliver(eventOf("payment_intent.succeeded", bobs.intentId)));
    expect(await paymentRow(keyId)).toMatchObject({ userId: bob.id, stripePaymentIntentId: bobs.intentId, status: "succeeded" });
  });

  it("ignores an intent whose metadata has payment_id other than idempotency_key_id", async () => {
    const bob = await customer();
    const key = randomUUID();
    await lostCreate(bob, key);
    const keyId = (await keyRowOf(bob, key)).id;
    const { intent, succeeded } = await succeededElsewhere({ payment_id: randomUUID(), idempotency_key_id: keyId, user_id: bob.id });

    await expectNoPaymentFrom(succeeded, intent.id);
    expect(await db().payment.count({ where: { userId: bob.id } })).toBe(0);
  });

  it("ignores an intent whose key row produced another intent (stripe_object_id), and accepts that one", async () => {
    const bob = await customer();
    const key = randomUUID();
    const bobs = await lostCreate(bob, key);
    const keyRow = await keyRowOf(bob, key);
    // What the engine records on the key once Stripe answered (completion, or flagging it).
    await db().idempotencyKey.update({ where: { userId_id: { userId: bob.id, id: keyRow.id } }, data: { stripeObjectId: bobs.intentId } });
    // The same metadata, copied onto another intent.
    const { intent, succeeded } = await succeededElsewhere({ payment_id: keyRow.id, idempotency_key_id: keyRow.id, user_id: bob.id });

    await expectNoPaymentFrom(succeeded, intent.id);
    expect(await db().payment.count({ where: { userId: bob.id } })).toBe(0);

    await expectReceived(await deliver(eventOf("payment_intent.succeeded", bobs.intentId)));
    expect(await paymentRow(keyRow.id)).toMatchObject({
      userId: bob.id,
      stripePaymentIntentId: bobs.intentId,
      status: "succeeded",
      idempotencyKeyId: keyRow.id,
    });
  });

  it("ignores an intent whose metadata names a refund's key row of the same user", async () => {
    const alice = await customer();
    const payment = await (await pay(alice)).json();
    const refunded = await refund(alice, payment.id, { body: { amount: 500 } });
    expect(refunded.status).toBe(201);
    const refundKeyId = (await refunded.json()).id as string; // a refund's id is its key row's
    expect(await db().idempotencyKey.count({ where: { id: refundKeyId, userId: alice.id } })).toBe(1);
    const { intent, succeeded } = await succeededElsewhere({
      payment_id: refundKeyId,
      idempotency_key_id: refundKeyId,
      user_id: alice.id,
    });

    await expectNoPaymentFrom(succeeded, intent.id);
    expect(await db().payment.count({ where: { userId: alice.id } })).toBe(1);
  });

  it("still advances a payment we hold after its key row expired and was deleted", async () => {
    const { alice, payment, succeeded } = await authenticatedPayment();
    await db().idempotencyKey.delete({ where: { userId_id: { userId: alice.id, id: payment.id } } });
    expect((await paymentRow(payment.id)).idempotencyKeyId).toBeNull();

    await expectReceived(await deliver(succeeded));

    expect(await paymentRow(payment.id)).toMatchObject({ userId: alice.id, status: "succeeded", idempotencyKeyId: null });
  });

  it("ignores an event of a connected account (Connect), even with metadata our key row vouches for", async () => {
    const alice = await customer();
    const key = randomUUID();
    const { intentId, paymentId } = await lostCreate(alice, key);
    const succeeded = eventOf("payment_intent.succeeded", intentId);
    const connect = { ...succeeded, id: `evt_${randomUUID().replaceAll("-", "")}`, account: "acct_1ConnectedAccount" };

    const response = await deliver(connect);

    await expectIgnored(response, "connect_event", connect.id);
    expect(await eventRow(connect.id)).toBeNull();
    expect(await db().payment.count({ where: { userId: alice.id } })).toBe(0);
    // The same event from our own account is applied.
    await expectReceived(await deliver(succeeded));
    expect(await paymentRow(paymentId)).toMatchObject({ userId: alice.id, status: "succeeded" });
  });
});

describe("POST /api/webhooks/stripe — refunds: the id comes from a key row only", () => {
  /** A refund of `paymentIntentId` made at Stripe directly (the Dashboard), with this metadata. */
  async function refundMadeElsewhere(paymentIntentId: string, metadata: Record<string, string>, amount = 300) {
    const made = await stripeClient().refunds.create({ payment_intent: paymentIntentId, amount, metadata });
    const created = stripe.emulator.events({ type: "refund.created" }).find((e) => e.data.object.id === made.id);
    if (!created) throw new Error(`no refund.created event for ${made.id}`);
    return { made, created };
  }

  it("gives a new id to a refund whose metadata names no key row", async () => {
    const alice = await customer();
    const payment = await (await pay(alice)).json();
    const id = randomUUID();
    const { made, created } = await refundMadeElsewhere(payment.paymentIntentId, { refund_id: id, idempotency_key_id: id });

    await expectReceived(await deliver(created));

    const rows = await db().refund.findMany({ where: { paymentId: payment.id } });
    expect(rows).toEqual([expect.objectContaining({ stripeRefundId: made.id, userId: alice.id, amount: 300, idempotencyKeyId: null })]);
    expect(rows[0]!.id).not.toBe(id);
  });

  it("gives a new id to a refund whose metadata names the refund key row of another payment", async () => {
    const alice = await customer();
    const [first, second] = [await (await pay(alice)).json(), await (await pay(alice)).json()];
    const firstRefund = await (await refund(alice, first.id, { body: { amount: 500 } })).json();
    const { made, created } = await refundMadeElsewhere(second.paymentIntentId, {
      refund_id: firstRefund.id,
      idempotency_key_id: firstRefund.id,
    });

    await expectReceived(await deliver(created));

    const rows = await db().refund.findMany({ where: { paymentId: second.id } });
    expect(rows).toEqual([expect.objectContaining({ stripeRefundId: made.id, userId: alice.id, idempotencyKeyId: null })]);
    expect(rows[0]!.id).not.toBe(firstRefund.id);
    expect(await db().refund.findFirstOrThrow({ where: { id: firstRefund.id } })).toMatchObject({ paymentId: first.id, amount: 500 });
  });

  it("never fails on a key row whose refund row already holds another Stripe refund", async () => {
    const alice = await customer();
    const payment = await (await pay(alice)).json();
    const ours = await (await refund(alice, payment.id, { body: { amount: 500 } })).json();
    // Another refund carrying our refund's metadata: its key row is of this payment and user.
    const { made, created } = await refundMadeElsewhere(payment.paymentIntentId, { refund_id: ours.id, idempotency_key_id: ours.id });

    await expectReceived(await deliver(created));

    const rows = await db().refund.findMany({ where: { paymentId: payment.id }, orderBy: { amount: "asc" } });
    expect(rows).toEqual([
      expect.objectContaining({ stripeRefundId: made.id, amount: 300, idempotencyKeyId: null }),
      expect.objectContaining({ id: ours.id, stripeRefundId: ours.stripeRefundId, amount: 500, idempotencyKeyId: ours.id }),
    ]);
  });

  it("records our refund under its key row's id when the webhook comes before the API answer", async () => {
    const alice = await customer();
    const payment = await (await pay(alice)).json();
    const key = randomUUID();
    stripe.emulator.setFaults({ dropNext: 2, pathPrefix: "/v1/refunds" });
    expect((await refund(alice, payment.id, { key, body: { amount: 700 } })).status).toBe(503);
    stripe.emulator.resetFaults();
    const keyRow = await keyRowOf(alice, key);
    expect(await db().refund.count({ where: { paymentId: payment.id } })).toBe(0);

    await expectReceived(await deliver(eventOf("refund.created", payment.paymentIntentId)));

    expect(await db().refund.findMany({ where: { paymentId: payment.id } })).toEqual([
      expect.objectContaining({ id: keyRow.id, userId: alice.id, amount: 700, idempotencyKeyId: keyRow.id }),
    ]);
    // The client's retry answers with the same refund.
    const retry = await refund(alice, payment.id, { key, body: { amount: 700 } });
    expect(retry.status).toBe(201);
    expect(await retry.json()).toMatchObject({ id: keyRow.id, amount: 700 });
    expect(await db().refund.count({ where: { paymentId: payment.id } })).toBe(1);
  });
});

describe("POST /api/webhooks/stripe — text from Stripe", () => {
  it.each([
    ["a NUL", "Order\u0000 1001", null],
    ["a lone surrogate", "Order \ud800 1001", null],
    ["plain text", "Zahlung für Café ☕ — 1001", "Zahlung für Café ☕ — 1001"],
  ])("records a payment whose description holds %s, with the description only if it can be stored", async (_label, description, stored) => {
    const alice = await customer();
    const { intentId, paymentId } = await lostCreate(alice, randomUUID());
    const succeeded = eventOf("payment_intent.succeeded", intentId);

    await expectReceived(await deliver(variant(succeeded, "payment_intent.succeeded", { description })));

    expect(await paymentRow(paymentId)).toMatchObject({ userId: alice.id, status: "succeeded", description: stored });
    expect(await (await show(alice, paymentId)).json()).toMatchObject({ id: paymentId, description: stored });
  });
});

/** Signed deliveries whose event or object is not what Stripe sends, built from real events. */
type Fixture = { intentEvent: StripeEvent; refundCreated: StripeEvent; disputeCreated: StripeEvent };
type Json = Record<string, unknown>;

/** The event with a new id and `change` applied to its object (null: remove `data`, a value: replace it). */
function malformed(event: StripeEvent, change: (object: Json) => unknown, type = event.type): string {
  return JSON.stringify({ ...event, id: `evt_${randomUUID().replaceAll("-", "")}`, type, data: { object: change(event.data.object) } });
}
const without = (object: Json, field: string) => Object.fromEntries(Object.entries(object).filter(([name]) => name !== field));
const DEPTH = 10_000;

const MALFORMED: [string, (f: Fixture) => string][] = [
  ["data missing", (f) => JSON.stringify({ ...without(f.intentEvent, "data"), id: `evt_${randomUUID().replaceAll("-", "")}` })],
  ["data.object null", (f) => malformed(f.intentEvent, () => null)],
  ["data.object a string", (f) => malformed(f.intentEvent, () => "pi_123")],
  ["data.object an array", (f) => malformed(f.intentEvent, (o) => [o])],
  ["amount as a string", (f) => malformed(f.intentEvent, (o) => ({ ...o, amount: "2500" }))],
  ["a negative amount", (f) => malformed(f.intentEvent, (o) => ({ ...o, amount: -2_500 }))],
  ["an amount over PostgreSQL's integer", (f) => malformed(f.intentEvent, (o) => ({ ...o, amount: 2 ** 31 }))],
  ["a fractional amount", (f) => malformed(f.intentEvent, (o) => ({ ...o, amount: 25.5 }))],
  ["an uppercase currency", (f) => malformed(f.intentEvent, (o) => ({ ...o, currency: "EUR" }))],
  ["an id that is not a PaymentIntent's", (f) => malformed(f.intentEvent, (o) => ({ ...o, id: "ch_123" }))],
  ["metadata as a string", (f) => malformed(f.intentEvent, (o) => ({ ...o, metadata: JSON.stringify(o.metadata) }))],
  ["a metadata value that is a number", (f) => malformed(f.intentEvent, (o) => ({ ...o, metadata: { ...(o.metadata as Json), user_id: 7 } }))],
  ["created missing", (f) => malformed(f.intentEvent, (o) => without(o, "created"))],
  ["created after the year 9999", (f) => malformed(f.intentEvent, (o) => ({ ...o, created: 1e13 }))],
  [
    `metadata nested ${DEPTH} levels deep`,
    (f) => malformed(f.intentEvent, (o) => ({ ...o, metadata: "NESTED" })).replace('"NESTED"', `${'{"a":'.repeat(DEPTH)}1${"}".repeat(DEPTH)}`),
  ],
  [
    "payment_failed whose last_payment_error.code is a number",
    (f) => malformed(f.intentEvent, (o) => ({ ...o, last_payment_error: { code: 402 } }), "payment_intent.payment_failed"),
  ],
  ["refund.created whose payment_intent is a number", (f) => malformed(f.refundCreated, (o) => ({ ...o, payment_intent: 42 }))],
  ["refund.created whose status holds a NUL", (f) => malformed(f.refundCreated, (o) => ({ ...o, status: "succeeded\u0000" }))],
  ["a dispute without a status", (f) => malformed(f.disputeCreated, (o) => without(o, "status"))],
  ["a dispute whose payment_intent has no id", (f) => malformed(f.disputeCreated, (o) => ({ ...o, payment_intent: {} }))],
  ["a dispute whose amount is a string", (f) => malformed(f.disputeCreated, (o) => ({ ...o, amount: "2500" }))],
];

describe("POST /api/webhooks/stripe — a signed event whose object is malformed", () => {
  /** A payment awaiting its success event, and a refunded one whose refund events are not delivered yet. */
  async function fixture() {
    const { alice, payment, succeeded } = await authenticatedPayment();
    const refunded = await (await pay(alice)).json();
    await stripeClient().refunds.create({ payment_intent: refunded.paymentIntentId, amount: 1_000 });
    const fixture: Fixture = {
      intentEvent: succeeded,
      refundCreated: eventOf("refund.created", refunded.paymentIntentId),
      disputeCreated: disputeEvent("charge.dispute.created", {
        id: "du_fixture",
        payment_intent: refunded.paymentIntentId,
        amount: 2_500,
        status: "needs_response",
        reason: "fraudulent",
      }) as unknown as StripeEvent,
    };
    const rows = async () => ({
      payments: await db().payment.findMany({ where: { userId: alice.id }, orderBy: { id: "asc" } }),
      refunds: await db().refund.count(),
      events: await db().webhookEvent.count(),
    });
    return { fixture, rows, payment };
  }

  it.each(MALFORMED)("acknowledges %s as ignored, logs a warning and changes nothing", async (_label, build) => {
    const { fixture: f, rows, payment } = await fixture();
    const before = await rows();
    expect(before.payments.map((p) => [p.id, p.status])).toContainEqual([payment.id, "requires_action"]);
    const payload = build(f);
    const eventId = (/"id":\s*"(evt_\w+)"/.exec(payload) ?? [])[1] ?? null;

    const response = await deliverPayload(payload);

    await expectIgnored(response, "malformed_event", eventId);
    expect(await rows()).toEqual(before);
  });

  it.each([
    ["without an id", (f: Fixture) => JSON.stringify(without(f.intentEvent, "id")), null],
    ["whose type holds a NUL", (f: Fixture) => JSON.stringify({ ...f.intentEvent, id: "evt_typed_nul", type: "payment_intent.succeeded\u0000" }), "evt_typed_nul"],
    ["that is JSON null", () => "null", null],
    ["that is a JSON array", (f: Fixture) => JSON.stringify([f.intentEvent]), null],
  ])("acknowledges an event %s as ignored and changes nothing", async (_label, build, eventId) => {
    const { fixture: f, rows } = await fixture();
    const before = await rows();
    const payload = build(f);

    await expectIgnored(await deliverPayload(payload), "malformed_event", eventId);
    expect(await rows()).toEqual(before);
  });

  it("acknowledges the same malformed event on every retry", async () => {
    const { fixture: f, rows } = await fixture();
    const before = await rows();
    const payload = malformed(f.intentEvent, () => null);
    for (let delivery = 0; delivery < 3; delivery += 1) {
      await expectIgnored(await deliverPayload(payload), "malformed_event", JSON.parse(payload).id);
    }
    expect(await rows()).toEqual(before);
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
