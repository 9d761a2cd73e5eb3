import { randomUUID } from "node:crypto";
import type Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { type StripeEmulator } from "./index";
import { NO_REDIRECTS, adminRequest, startEmulatorForFile } from "./test-helpers";

let emulator: StripeEmulator;
let stripe: Stripe;
// Refunds change status only when a test calls settle(): deterministic.
startEmulatorForFile({ asyncSettleMs: null }, (started, client) => {
  emulator = started;
  stripe = client;
});

async function paidWith(paymentMethod: string, amount = 5000): Promise<Stripe.PaymentIntent> {
  return stripe.paymentIntents.create({
    amount,
    currency: "usd",
    payment_method: paymentMethod,
    confirm: true,
    automatic_payment_methods: NO_REDIRECTS,
  });
}

function eventsOf(refundId: string): Array<{ type: string; status: unknown; requestId: string | null }> {
  return emulator
    .events()
    .filter((event) => event.data.object.id === refundId)
    .reverse()
    .map((event) => ({ type: event.type, status: event.data.object.status, requestId: event.request.id }));
}

describe("pm_card_refundFail (docs.stripe.com/testing#refunds)", () => {
  it("refunds as succeeded, then fails: failure_reason, events, amount_refunded back down", async () => {
    const intent = await paidWith("pm_card_refundFail");
    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 2000 });
    expect(refund).toMatchObject({ status: "succeeded", amount: 2000 });
    expect(refund).not.toHaveProperty("failure_reason");
    expect(await stripe.charges.retrieve(String(intent.latest_charge))).toMatchObject({ amount_refunded: 2000 });

    expect(emulator.settle(refund.id)).toEqual([refund.id]);

    expect(await stripe.refunds.retrieve(refund.id)).toMatchObject({
      status: "failed",
      failure_reason: "expired_or_canceled_card",
    });
    expect(await stripe.charges.retrieve(String(intent.latest_charge))).toMatchObject({ amount_refunded: 0, refunded: false });
    const events = eventsOf(refund.id);
    expect(events[0]).toMatchObject({ type: "refund.created", status: "succeeded" });
    expect(events.slice(1)).toEqual([
      { type: "charge.refund.updated", status: "failed", requestId: null },
      { type: "refund.updated", status: "failed", requestId: null },
      { type: "refund.failed", status: "failed", requestId: null },
    ]);
    expect(emulator.settle(refund.id)).toEqual([]);
  });

  it("lets the merchant refund again what a failed refund gave back", async () => {
    const intent = await paidWith("pm_card_refundFail", 3000);
    const full = await stripe.refunds.create({ payment_intent: intent.id });
    expect((await stripe.charges.retrieve(String(intent.latest_charge))).refunded).toBe(true);
    emulator.settle(intent.id);

    const again = await stripe.refunds.create({ payment_intent: intent.id });
    expect(again).toMatchObject({ amount: 3000, status: "succeeded" });
    expect(again.id).not.toBe(full.id);
  });

  it("replays the refund's first answer for its idempotency key, as Stripe stores it", async () => {
    const intent = await paidWith("pm_card_refundFail");
    const idempotencyKey = randomUUID();
    const first = await stripe.refunds.create({ payment_intent: intent.id }, { idempotencyKey });
    emulator.settle(first.id);

    const replayed = await stripe.refunds.create({ payment_intent: intent.id }, { idempotencyKey });
    expect(replayed).toMatchObject({ id: first.id, status: "succeeded" });
    expect(replayed.lastResponse.headers["idempotent-replayed"]).toBe("true");
    expect(await stripe.refunds.retrieve(first.id)).toMatchObject({ status: "failed" });
  });
});

describe("pm_card_pendingRefund (docs.stripe.com/testing#refunds)", () => {
  it("refunds as pending, then succeeds", async () => {
    const intent = await paidWith("pm_card_pendingRefund");
    const refund = await stripe.refunds.create({ payment_intent: intent.id });
    expect(refund.status).toBe("pending");
    // Pending money is spoken for: it cannot be refunded twice.
    expect(await stripe.charges.retrieve(String(intent.latest_charge))).toMatchObject({ amount_refunded: 5000, refunded: true });

    const settled = await adminRequest(emulator, "POST", "/settle", { id: refund.id });
    expect(settled).toEqual({ status: 200, json: { settled: [refund.id] } });

    expect(await stripe.refunds.retrieve(refund.id)).toMatchObject({ status: "succeeded" });
    expect(eventsOf(refund.id).map((event) => `${event.type}:${String(event.status)}`)).toEqual([
      "refund.created:pending",
      "charge.refund.updated:succeeded",
      "refund.updated:succeeded",
    ]);
  });
});

describe("other cards", () => {
  it("refund at once and never change, so settle() has nothing to do", async () => {
    const intent = await paidWith("pm_card_visa");
    const refund = await stripe.refunds.create({ payment_intent: intent.id });
    expect(refund.status).toBe("succeeded");
    expect(emulator.settle(intent.id)).toEqual([]);
  });
});
