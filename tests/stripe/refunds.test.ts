import { randomUUID } from "node:crypto";
import type Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db";
import { stripe } from "@/server/stripe";
import { customer, pay, show } from "../helpers/payments-api";
import { refund, showRefund } from "../helpers/refunds-api";
import { stripeSideForFile } from "./stripe-side-for-file";

// Flow 4: a partial, then a full refund, each retried with its key. Amounts are checked at
// Stripe (refunds.list, the charge's amount_refunded) and in ours (amountRefunded, the rows).
const stripeFile = stripeSideForFile();

const ORDER = { amount: 2_500, currency: "eur", paymentMethod: "pm_card_visa" } as const;

/** POST a refund, then its retry with the same key: the retry must be the first answer, byte for byte. */
async function refundTwice(who: Awaited<ReturnType<typeof customer>>, paymentId: string, body: object) {
  const key = randomUUID();
  const created = await refund(who, paymentId, { key, body });
  expect(created.status).toBe(201);
  expect(created.headers.get("idempotent-replayed")).toBeNull();
  const text = await created.text();
  const view = JSON.parse(text);
  expect(created.headers.get("location")).toBe(`/api/payments/${paymentId}/refunds/${view.id}`);

  const replay = await refund(who, paymentId, { key, body });
  expect(replay.status).toBe(201);
  expect(replay.headers.get("idempotent-replayed")).toBe("true");
  expect(replay.headers.get("location")).toBe(created.headers.get("location"));
  expect(await replay.text()).toBe(text);
  return { view, location: created.headers.get("location")! };
}

describe("refunds of a succeeded payment", () => {
  it("a partial then a full refund, each once per key: the amounts at Stripe, in amountRefunded and in the rows", async () => {
    const alice = await customer();
    const created = await pay(alice, { body: ORDER });
    expect(created.status).toBe(201);
    const payment = await created.json();

    const partial = await refundTwice(alice, payment.id, { amount: 1_000, reason: "requested_by_customer" });
    expect(partial.view).toMatchObject({ paymentId: payment.id, amount: 1_000 });
    expect(await (await showRefund(alice, partial.location)).json()).toEqual(partial.view);

    // `{}` refunds what is left.
    const rest = await refundTwice(alice, payment.id, {});
    expect(rest.view).toMatchObject({ paymentId: payment.id, amount: ORDER.amount - 1_000 });

    const atStripe = (await stripe().refunds.list({ payment_intent: payment.paymentIntentId, limit: 100 })).data;
    const byId = new Map(atStripe.map((r) => [r.id, r]));
    expect(atStripe).toHaveLength(2);
    for (const ours of [partial.view, rest.view]) {
      const theirs = byId.get(ours.stripeRefundId);
      expect(theirs).toMatchObject({ amount: ours.amount, payment_intent: payment.paymentIntentId, metadata: { refund_id: ours.id, payment_id: payment.id } });
      // A card refund is `succeeded`, or `pending` for a while (docs.stripe.com/api/refunds/object):
      // either may be what we answered and what Stripe says now.
      expect(["succeeded", "pending"]).toContain(ours.status);
      expect(["succeeded", "pending"]).toContain(theirs!.status);
    }
    const intent = await stripe().paymentIntents.retrieve(payment.paymentIntentId, { expand: ["latest_charge"] });
    expect((intent.latest_charge as Stripe.Charge).amount_refunded).toBe(ORDER.amount);

    expect(await (await show(alice, payment.id)).json()).toMatchObject({
      amountRefunded: ORDER.amount,
      refunds: [
        { id: partial.view.id, amount: 1_000 },
        { id: rest.view.id, amount: ORDER.amount - 1_000 },
      ],
    });
    const nothingLeft = await refund(alice, payment.id, { body: { amount: 1 } });
    expect(nothingLeft.status).toBe(400);
    expect(await nothingLeft.json()).toMatchObject({ code: "refund_exceeds_remaining", amountRemaining: 0 });

    // Stripe's charge.refunded events arrive and agree: the running total, no extra refund rows.
    await stripeFile.eventually("charge.refunded with the full amount delivered", () => {
      const deliveries = stripeFile.deliveriesOf("charge.refunded", (o) => o.payment_intent === payment.paymentIntentId);
      expect(deliveries.map((d) => d.object.amount_refunded)).toContain(ORDER.amount);
      expect(deliveries.every((d) => d.status === 200)).toBe(true);
    });
    expect(await db().payment.findFirst({ where: { id: payment.id } })).toMatchObject({ amountRefunded: ORDER.amount });
    expect(await db().refund.count({ where: { paymentId: payment.id } })).toBe(2);
    expect((await stripe().refunds.list({ payment_intent: payment.paymentIntentId, limit: 100 })).data).toHaveLength(2);
  });
});
