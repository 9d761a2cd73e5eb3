import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { db } from "@/server/db";
import { stripe as stripeClient } from "@/server/stripe";
import { customer, list, pay, show, type TestCustomer, VALID_PAYMENT } from "../helpers/payments-api";
import { refund } from "../helpers/refunds-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";
import { deliverWebhooksToAppForFile, intentMadeElsewhere } from "../helpers/stripe-webhooks";

// The whole lifecycle with real deliveries: the emulator POSTs its signed events to a local
// HTTP endpoint that hands them to the webhook route, as Stripe would to the deployed app.
process.env.STRIPE_WEBHOOK_SECRET = `whsec_${randomBytes(16).toString("hex")}`;
const stripe = startStripeEmulatorForFile();
const receiver = deliverWebhooksToAppForFile(stripe);

const THREE_D_SECURE = { ...VALID_PAYMENT, paymentMethod: "pm_card_authenticationRequired" } as const;

/** Waits (bounded) until every queued delivery is answered and `check` holds. */
async function eventually(check: () => Promise<void>): Promise<void> {
  await vi.waitFor(
    async () => {
      await stripe.emulator.flushWebhooks();
      await check();
    },
    { timeout: 10_000, interval: 50 },
  );
}

const paymentRow = (id: string) => db().payment.findFirst({ where: { id } });
const deliveriesOf = (eventId: string) => receiver.deliveries.filter((d) => d.eventId === eventId);

/** Pays while Stripe's answer is lost on the way back: our request answers 503 and never completes. */
async function payWithLostAnswer(who: TestCustomer, key: string, body: object) {
  stripe.emulator.setFaults({ dropNext: 2, pathPrefix: "/v1/payment_intents" }); // stripe-node retries once itself
  expect((await pay(who, { key, body })).status).toBe(503);
  stripe.emulator.resetFaults();
  const [intent] = stripe.emulator.paymentIntents({ metadata: { user_id: who.id } });
  return { intentId: intent!.id, paymentId: intent!.metadata.payment_id! };
}

describe("Stripe → webhook route, end to end", () => {
  it("3-D Secure, then refunds: the webhooks alone move the payment; one key refunds once", async () => {
    const alice = await customer();
    const created = await pay(alice, { body: THREE_D_SECURE });
    expect(created.status).toBe(201);
    const payment = await created.json();
    expect(payment.status).toBe("requires_action");

    stripe.emulator.authenticatePaymentIntent(payment.paymentIntentId, "succeed");
    await eventually(async () => expect((await paymentRow(payment.id))?.status).toBe("succeeded"));
    expect(await (await show(alice, payment.id)).json()).toMatchObject({ status: "succeeded" });
    const [succeeded] = stripe.emulator.events({ type: "payment_intent.succeeded" }).filter((e) => e.data.object.id === payment.paymentIntentId);
    expect(deliveriesOf(succeeded!.id)).toEqual([
      { eventId: succeeded!.id, type: "payment_intent.succeeded", status: 200, body: { received: true } },
    ]);

    // The same refund twice in a row and three times at once, all with one key.
    const key = randomUUID();
    const first = await refund(alice, payment.id, { key, body: { amount: 1_000 } });
    expect(first.status).toBe(201);
    const again = await Promise.all([
      refund(alice, payment.id, { key, body: { amount: 1_000 } }),
      ...Array.from({ length: 3 }, () => refund(alice, payment.id, { key, body: { amount: 1_000 }, headers: { Prefer: "wait=5" } })),
    ]);
    expect(again.map((r) => [r.status, r.headers.get("idempotent-replayed")])).toEqual(Array(4).fill([201, "true"]));

    const atStripe = (await stripeClient().refunds.list({ payment_intent: payment.paymentIntentId })).data;
    expect(atStripe).toHaveLength(1);
    const chargeRefunded = stripe.emulator.events({ type: "charge.refunded" }).find((e) => e.data.object.payment_intent === payment.paymentIntentId);
    await eventually(async () => expect(deliveriesOf(chargeRefunded!.id)).toHaveLength(1));
    expect(deliveriesOf(chargeRefunded!.id)[0]).toMatchObject({ status: 200, body: { received: true } });
    expect((await paymentRow(payment.id))?.amountRefunded).toBe(1_000);
    expect(await db().refund.count({ where: { paymentId: payment.id } })).toBe(1);

    // Stripe delivering the same event again changes nothing.
    stripe.emulator.resendEvent(chargeRefunded!.id);
    await eventually(async () => expect(deliveriesOf(chargeRefunded!.id)).toHaveLength(2));
    expect(deliveriesOf(chargeRefunded!.id)[1]).toMatchObject({ status: 200, body: { received: true, duplicate: true } });
    expect((await paymentRow(payment.id))?.amountRefunded).toBe(1_000);

    // A second refund for the rest, then nothing is left.
    expect((await refund(alice, payment.id)).status).toBe(201);
    await eventually(async () => expect((await paymentRow(payment.id))?.amountRefunded).toBe(VALID_PAYMENT.amount));
    expect((await refund(alice, payment.id, { body: { amount: 1 } })).status).toBe(400);
    const detail = await (await show(alice, payment.id)).json();
    expect(detail.refunds.map((r: { amount: number }) => r.amount)).toEqual([1_000, 1_500]);
    expect(receiver.deliveries.every((d) => d.status === 200)).toBe(true);
  });

  it("a payment whose create response was lost is known from the webhook alone", async () => {
    const alice = await customer();
    const key = randomUUID();
    const { intentId, paymentId } = await payWithLostAnswer(alice, key, VALID_PAYMENT);

    await eventually(async () => expect((await paymentRow(paymentId))?.status).toBe("succeeded"));
    expect(await (await show(alice, paymentId)).json()).toMatchObject({ id: paymentId, status: "succeeded", paymentIntentId: intentId });
    expect((await (await list(alice)).json()).data.map((p: { id: string }) => p.id)).toEqual([paymentId]);

    // The client's retry with the same key lands on the same payment.
    const retry = await pay(alice, { key });
    expect(retry.status).toBe(201);
    expect(await retry.json()).toMatchObject({ id: paymentId, status: "succeeded" });
    expect(stripe.emulator.paymentIntents({ metadata: { user_id: alice.id } })).toHaveLength(1);
  });

  it("an intent made outside the app with a user's id in its metadata is acknowledged and never recorded", async () => {
    const alice = await customer();
    const id = randomUUID();
    // Made with the account's secret key, as by another app or a script sharing the Stripe account.
    const intent = await intentMadeElsewhere({ payment_id: id, idempotency_key_id: id, user_id: alice.id });
    const [succeeded] = stripe.emulator.events({ type: "payment_intent.succeeded" }).filter((e) => e.data.object.id === intent.id);

    await eventually(async () => expect(deliveriesOf(succeeded!.id)).toHaveLength(1));
    expect(deliveriesOf(succeeded!.id)[0]).toMatchObject({ status: 200, body: { received: true } });
    expect(await db().payment.count({ where: { OR: [{ id }, { stripePaymentIntentId: intent.id }, { userId: alice.id }] } })).toBe(0);
    expect((await (await list(alice)).json()).data).toEqual([]);
  });

  it("a 3-D Secure payment reaches its final status with no API answer at all", async () => {
    const alice = await customer();
    const key = randomUUID();
    const { intentId, paymentId } = await payWithLostAnswer(alice, key, THREE_D_SECURE);
    await eventually(async () => expect((await paymentRow(paymentId))?.status).toBe("requires_action"));

    stripe.emulator.authenticatePaymentIntent(intentId, "fail");
    await eventually(async () =>
      expect(await paymentRow(paymentId)).toMatchObject({ status: "failed", failureCode: "payment_intent_authentication_failure" }),
    );

    // A late retry gets Stripe's replay of the first answer (requires_action): the row keeps "failed".
    expect((await pay(alice, { key, body: THREE_D_SECURE })).status).toBe(201);
    expect((await paymentRow(paymentId))?.status).toBe("failed");
  });
});
