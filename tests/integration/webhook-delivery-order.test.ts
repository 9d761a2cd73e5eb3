import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { db } from "@/server/db";
import type { Faults } from "../../tools/stripe-emulator";
import { customer, pay, show, VALID_PAYMENT, type TestCustomer } from "../helpers/payments-api";
import { refund } from "../helpers/refunds-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";
import { deliverWebhooksToAppForFile } from "../helpers/stripe-webhooks";

// Stripe delivers webhooks asynchronously, possibly concurrently, out of order and more than
// once (docs.stripe.com/webhooks). The same life of payments, delivered in order and then
// delivered as badly as Stripe may, must leave the same rows. "Later" things at Stripe (a
// dispute opening, a refund failing) happen when the test says (settle), not on a timer.
process.env.STRIPE_WEBHOOK_SECRET = `whsec_${randomBytes(16).toString("hex")}`;
const stripe = startStripeEmulatorForFile({ emulator: { asyncSettleMs: null } });
const receiver = deliverWebhooksToAppForFile(stripe);

const BADLY: Partial<Faults> = { webhookConcurrency: 4, webhookShuffle: true, webhookDuplicateRate: 0.5, seed: 7 };

async function paid(who: TestCustomer, paymentMethod: string) {
  const response = await pay(who, { body: { ...VALID_PAYMENT, paymentMethod } });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; status: string; paymentIntentId: string };
}

/** One customer's payments: 3-D Secure completed at Stripe, refunds, a refund that fails, a dispute that is lost. */
async function lifeOfPayments(who: TestCustomer) {
  const authenticated = await paid(who, "pm_card_authenticationRequired");
  stripe.emulator.authenticatePaymentIntent(authenticated.paymentIntentId, "succeed");
  const refunded = await paid(who, "pm_card_visa");
  for (const amount of [700, 300]) expect((await refund(who, refunded.id, { body: { amount } })).status).toBe(201);
  const refundFails = await paid(who, "pm_card_refundFail");
  expect((await refund(who, refundFails.id, { body: {} })).status).toBe(201);
  const disputed = await paid(who, "pm_card_createDispute");
  stripe.emulator.settle(); // the refund fails, the dispute opens
  const [dispute] = stripe.emulator.events({ type: "charge.dispute.created" }).filter((e) => e.data.object.payment_intent === disputed.paymentIntentId);
  stripe.emulator.closeDispute(String(dispute!.data.object.id), "lost");
  return { authenticated, refunded, refundFails, disputed };
}

/** What the customer's rows say once every delivery was answered, without ids or times. */
async function settledRows(who: TestCustomer, expectedEvents: number) {
  await vi.waitFor(
    async () => {
      await stripe.emulator.flushWebhooks();
      expect(new Set(receiver.deliveries.filter((d) => d.status === 200).map((d) => d.eventId)).size).toBeGreaterThanOrEqual(expectedEvents);
    },
    { timeout: 15_000, interval: 100 },
  );
  const payments = await db().payment.findMany({ where: { userId: who.id }, include: { refunds: true }, orderBy: { createdAt: "asc" } });
  return payments.map((p) => ({
    status: p.status,
    amount: p.amount,
    amountRefunded: p.amountRefunded,
    amountRefundFailed: p.amountRefundFailed,
    dispute: p.disputeStatus && { status: p.disputeStatus, reason: p.disputeReason, amount: p.disputeAmount },
    refunds: p.refunds.map((r) => ({ amount: r.amount, status: r.status })).sort((a, b) => a.amount - b.amount),
  }));
}

describe("webhooks delivered concurrently, out of order and twice", () => {
  it("leave the same rows as webhooks delivered one at a time, in order", async () => {
    const inOrder = await customer();
    const eventsBefore = stripe.emulator.events().length;
    await lifeOfPayments(inOrder);
    const inOrderEvents = stripe.emulator.events().length - eventsBefore;
    const expected = await settledRows(inOrder, inOrderEvents);

    stripe.emulator.setFaults(BADLY);
    const badly = await customer();
    const deliveriesBefore = receiver.deliveries.length;
    const { authenticated, refundFails, disputed } = await lifeOfPayments(badly);
    const rows = await settledRows(badly, inOrderEvents * 2);
    expect(rows).toEqual(expected);

    // The delivery really was bad: some events came twice, and not in the order they happened.
    const delivered = receiver.deliveries.slice(deliveriesBefore).map((d) => d.eventId);
    expect(delivered.length).toBeGreaterThan(new Set(delivered).size);
    expect(receiver.deliveries.slice(deliveriesBefore).some((d) => (d.body as { duplicate?: boolean }).duplicate)).toBe(true);

    // And what the rows say is right, through the API the customer reads.
    expect(await (await show(badly, authenticated.id)).json()).toMatchObject({ status: "succeeded" });
    expect(await (await show(badly, refundFails.id)).json()).toMatchObject({
      status: "succeeded",
      amountRefunded: 0,
      amountRefundFailed: VALID_PAYMENT.amount,
      refunds: [{ amount: VALID_PAYMENT.amount, status: "failed" }],
    });
    expect(await (await show(badly, disputed.id)).json()).toMatchObject({
      status: "succeeded",
      dispute: { status: "lost", reason: "fraudulent", amount: VALID_PAYMENT.amount },
    });
    expect(expected).toEqual([
      expect.objectContaining({ status: "succeeded", amountRefunded: 0, dispute: null }),
      expect.objectContaining({ status: "succeeded", amountRefunded: 1_000, refunds: [{ amount: 300, status: "succeeded" }, { amount: 700, status: "succeeded" }] }),
      expect.objectContaining({ amountRefunded: 0, amountRefundFailed: VALID_PAYMENT.amount }),
      expect.objectContaining({ dispute: { status: "lost", reason: "fraudulent", amount: VALID_PAYMENT.amount } }),
    ]);
  });

  it("a refund key is never charged twice by a refund that failed: a new refund needs a new key", async () => {
    const alice = await customer();
    const payment = await paid(alice, "pm_card_refundFail");
    const key = randomUUID();
    expect((await refund(alice, payment.id, { key, body: {} })).status).toBe(201);
    stripe.emulator.settle();
    await vi.waitFor(async () => {
      await stripe.emulator.flushWebhooks();
      expect(await db().refund.findFirst({ where: { paymentId: payment.id } })).toMatchObject({ status: "failed" });
    });
    const replay = await refund(alice, payment.id, { key, body: {} });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(stripe.emulator.refunds({ payment_intent: payment.paymentIntentId })).toHaveLength(1);
    const again = await refund(alice, payment.id, { body: {} });
    expect(again.status).toBe(201);
    expect(stripe.emulator.refunds({ payment_intent: payment.paymentIntentId })).toHaveLength(2);
  });
});
