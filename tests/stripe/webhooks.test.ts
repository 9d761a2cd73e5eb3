import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { env } from "@/env";
import { db } from "@/server/db";
import { stripe } from "@/server/stripe";
import { customer, pay } from "../helpers/payments-api";
import { signature } from "../helpers/stripe-webhooks";
import { stripeSideForFile } from "./stripe-side-for-file";

// Flow 5: Stripe's own delivery of payment_intent.succeeded, then a redelivery. Stripe may
// deliver an event more than once and asks receivers to dedupe by event id
// (docs.stripe.com/webhooks, "Handle duplicate events"), but offers no API to force a redelivery;
// holding the endpoint secret, the test sends the received bytes again itself, freshly signed
// as Stripe signs (docs.stripe.com/webhooks/signatures) — the same on both sides.
const stripeFile = stripeSideForFile();

const ORDER = { amount: 1_999, currency: "usd", paymentMethod: "pm_card_visa" } as const;

/** POSTs these bytes to the receiver over HTTP, as a sender would. */
function post(url: string, payload: string, stripeSignature: string): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json; charset=utf-8", "Stripe-Signature": stripeSignature },
    body: payload,
  });
}

describe("Stripe's webhooks", () => {
  it("payment_intent.succeeded arrives signed with the endpoint secret and is applied once; a redelivery is acknowledged as a duplicate", async () => {
    const alice = await customer();
    const created = await pay(alice, { body: ORDER });
    expect(created.status).toBe(201);
    const payment = await created.json();

    await stripeFile.eventually("payment_intent.succeeded delivered", () => {
      expect(stripeFile.deliveriesOf("payment_intent.succeeded", (o) => o.id === payment.paymentIntentId)).not.toHaveLength(0);
    });
    const [delivery] = stripeFile.deliveriesOf("payment_intent.succeeded", (o) => o.id === payment.paymentIntentId);
    expect(delivery).toMatchObject({ status: 200, body: { received: true } });
    expect(delivery!.body).not.toHaveProperty("duplicate");

    // Signed by the sender with this endpoint's secret, over these exact bytes.
    const event = Stripe.webhooks.constructEvent(delivery!.payload, delivery!.signature ?? "", env().STRIPE_WEBHOOK_SECRET);
    expect(event).toMatchObject({ id: delivery!.eventId, type: "payment_intent.succeeded", livemode: false });
    // And it is Stripe's event: the same one, read back through the API.
    const atStripe = await stripe().events.retrieve(delivery!.eventId);
    expect(atStripe).toMatchObject({ type: "payment_intent.succeeded", data: { object: { id: payment.paymentIntentId } } });

    const recorded = await db().webhookEvent.findUnique({ where: { id: delivery!.eventId } });
    expect(recorded).toMatchObject({ type: "payment_intent.succeeded", processedAt: expect.any(Date) });
    const row = await db().payment.findFirst({ where: { id: payment.id } });
    expect(row).toMatchObject({ status: "succeeded", stripePaymentIntentId: payment.paymentIntentId });

    const url = stripeFile.receiver().url;
    const redelivered = await post(url, delivery!.payload, signature(delivery!.payload));
    expect(redelivered.status).toBe(200);
    expect(await redelivered.json()).toEqual({ received: true, duplicate: true });
    expect(await db().webhookEvent.findMany({ where: { id: delivery!.eventId } })).toEqual([recorded]);
    expect(await db().payment.findFirst({ where: { id: payment.id } })).toEqual(row);

    // The signature covers the bytes: the same event with one value changed is refused.
    const tampered = delivery!.payload.replace(new RegExp(`"amount":(\\s*)${ORDER.amount}\\b`), `"amount":$1${ORDER.amount + 1}`);
    expect(tampered).not.toBe(delivery!.payload);
    const refused = await post(url, tampered, delivery!.signature ?? "");
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: "webhook_signature_invalid" });
    expect(await db().payment.findFirst({ where: { id: payment.id } })).toEqual(row);
  });
});
