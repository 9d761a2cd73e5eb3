import { randomUUID } from "node:crypto";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { NO_REDIRECTS, caught, startEmulatorForFile } from "./test-helpers";

let stripe: Stripe;
startEmulatorForFile({}, (_emulator, client) => {
  stripe = client;
});

async function paidIntent(amount = 5000): Promise<Stripe.PaymentIntent> {
  return stripe.paymentIntents.create({
    amount,
    currency: "usd",
    payment_method: "pm_card_visa",
    confirm: true,
    automatic_payment_methods: NO_REDIRECTS,
  });
}

async function chargeOf(intent: Stripe.PaymentIntent): Promise<Stripe.Charge> {
  return stripe.charges.retrieve(String(intent.latest_charge));
}

describe("refunds", () => {
  it("refunds the whole remaining amount when no amount is given", async () => {
    const intent = await paidIntent(5000);

    const refund = await stripe.refunds.create({
      payment_intent: intent.id,
      reason: "requested_by_customer",
      metadata: { ticket: "T-1" },
    });

    expect(refund).toMatchObject({
      object: "refund",
      amount: 5000,
      currency: "usd",
      status: "succeeded",
      payment_intent: intent.id,
      charge: intent.latest_charge,
      reason: "requested_by_customer",
      metadata: { ticket: "T-1" },
    });
    expect(refund.id).toMatch(/^re_/);
    expect(await chargeOf(intent)).toMatchObject({ amount_refunded: 5000, refunded: true });
    expect(await stripe.refunds.retrieve(refund.id)).toEqual(refund);
  });

  it("refunds in parts until nothing is left", async () => {
    const intent = await paidIntent(5000);

    await stripe.refunds.create({ payment_intent: intent.id, amount: 2000 });
    expect(await chargeOf(intent)).toMatchObject({ amount_refunded: 2000, refunded: false });

    const rest = await stripe.refunds.create({ payment_intent: intent.id });
    expect(rest.amount).toBe(3000);
    expect(await chargeOf(intent)).toMatchObject({ amount_refunded: 5000, refunded: true });

    const again = await caught(() => stripe.refunds.create({ payment_intent: intent.id }));
    expect(again).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(again).toMatchObject({ statusCode: 400, code: "charge_already_refunded" });

    const listed = await stripe.refunds.list({ payment_intent: intent.id });
    expect(listed.data.map((refund) => refund.amount)).toEqual([3000, 2000]);
  });

  it("rejects more than what is left with amount_too_large", async () => {
    const intent = await paidIntent(5000);
    await stripe.refunds.create({ payment_intent: intent.id, amount: 4000 });

    const error = await caught(() => stripe.refunds.create({ payment_intent: intent.id, amount: 1500 }));

    expect(error).toMatchObject({ statusCode: 400, code: "amount_too_large", param: "amount" });
    expect(error).toHaveProperty(
      "message",
      "Refund amount ($15.00) is greater than unrefunded amount on charge ($10.00)",
    );
    expect(await chargeOf(intent)).toMatchObject({ amount_refunded: 4000 });
  });

  it("refuses to refund a PaymentIntent that has not succeeded", async () => {
    const open = await stripe.paymentIntents.create({ amount: 1000, currency: "usd" });

    const error = await caught(() => stripe.refunds.create({ payment_intent: open.id }));

    expect(error).toMatchObject({ statusCode: 400, param: "payment_intent" });
    expect(error).toHaveProperty("message", expect.stringContaining("does not have a successful charge to refund"));
  });

  it("answers 404 for an unknown PaymentIntent or refund", async () => {
    expect(await caught(() => stripe.refunds.create({ payment_intent: "pi_missing" }))).toMatchObject({
      statusCode: 404,
      code: "resource_missing",
      param: "payment_intent",
    });
    expect(await caught(() => stripe.refunds.retrieve("re_missing"))).toMatchObject({
      statusCode: 404,
      code: "resource_missing",
    });
  });

  it("refunds once when the same key is retried", async () => {
    const intent = await paidIntent(5000);
    const idempotencyKey = randomUUID();

    const first = await stripe.refunds.create({ payment_intent: intent.id, amount: 1000 }, { idempotencyKey });
    const retried = await stripe.refunds.create({ payment_intent: intent.id, amount: 1000 }, { idempotencyKey });

    expect(retried.id).toBe(first.id);
    expect(await chargeOf(intent)).toMatchObject({ amount_refunded: 1000 });
  });

  it("refunds by charge id too, and expands the charge", async () => {
    const intent = await paidIntent(2500);
    const refund = await stripe.refunds.create({ charge: String(intent.latest_charge), expand: ["charge"] });
    expect(refund.payment_intent).toBe(intent.id);
    expect(refund.charge).toMatchObject({ object: "charge", amount_refunded: 2500, refunded: true });
  });
});
