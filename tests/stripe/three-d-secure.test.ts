import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db";
import { stripe } from "@/server/stripe";
import { customer, pay, show } from "../helpers/payments-api";
import { refund } from "../helpers/refunds-api";
import { nowSeconds, paymentIntentsOfUser } from "./payment-intents-of-user";
import { stripeSideForFile } from "./stripe-side-for-file";

// Flow 3: a card that needs 3-D Secure. `pm_card_authenticationRequired` leaves the intent in
// `requires_action` (docs.stripe.com/testing, "3D Secure"), and only the customer completes
// that, in the browser with Stripe.js and the client secret (docs.stripe.com/payments/3d-secure);
// Stripe's API has no call that authenticates for them, so no test can do it against real
// Stripe without a browser. What holds on both sides: the customer never authenticates and the
// intent is canceled — Stripe allows that in `requires_action`
// (docs.stripe.com/api/payment_intents/cancel) — and our payment reaches `canceled` through the
// `payment_intent.canceled` webhook alone. (Completing 3-D Secure is covered against the emulator
// by tests/integration/webhooks-end-to-end.test.ts and by the browser tests.)
const stripeFile = stripeSideForFile();

const NEEDS_3DS = { amount: 4_200, currency: "eur", paymentMethod: "pm_card_authenticationRequired" } as const;

describe("a payment with pm_card_authenticationRequired", () => {
  it("is 201 requires_action with a clientSecret; canceled at Stripe, the webhook makes it canceled, the replay stays the first answer", async () => {
    const since = nowSeconds();
    const alice = await customer();
    const key = randomUUID();

    const created = await pay(alice, { key, body: NEEDS_3DS });
    expect(created.status).toBe(201);
    const first = await created.text();
    const payment = JSON.parse(first);
    expect(created.headers.get("location")).toBe(`/api/payments/${payment.id}`);
    expect(payment).toMatchObject({ status: "requires_action", amount: NEEDS_3DS.amount, currency: NEEDS_3DS.currency, failureCode: null });
    expect(payment.clientSecret).toMatch(new RegExp(`^${payment.paymentIntentId}_secret_`));

    const intent = await stripe().paymentIntents.retrieve(payment.paymentIntentId);
    expect(intent).toMatchObject({ status: "requires_action", client_secret: payment.clientSecret, metadata: { payment_id: payment.id, user_id: alice.id } });
    expect(intent.next_action).not.toBeNull();
    expect((await paymentIntentsOfUser(alice.id, since)).map((i) => i.id)).toEqual([intent.id]);
    expect(await db().payment.findFirst({ where: { id: payment.id } })).toMatchObject({ status: "requires_action" });

    const replay = await pay(alice, { key, body: NEEDS_3DS });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.text()).toBe(first);

    // Nothing was captured, so nothing can be refunded; refused before Stripe is called.
    const early = await refund(alice, payment.id);
    expect(early.status).toBe(400);
    expect(await early.json()).toMatchObject({ code: "payment_not_refundable" });

    const canceled = await stripe().paymentIntents.cancel(intent.id, { cancellation_reason: "abandoned" });
    expect(canceled).toMatchObject({ status: "canceled", cancellation_reason: "abandoned" });

    await stripeFile.eventually("the payment canceled by the payment_intent.canceled webhook", async () => {
      expect(await (await show(alice, payment.id)).json()).toMatchObject({ id: payment.id, status: "canceled" });
    });
    const [delivery] = stripeFile.deliveriesOf("payment_intent.canceled", (o) => o.id === intent.id);
    expect(delivery).toMatchObject({ status: 200, body: { received: true } });
    expect((await stripe().paymentIntents.retrieve(intent.id)).status).toBe("canceled");
    expect(await db().payment.findMany({ where: { userId: alice.id } })).toMatchObject([{ id: payment.id, status: "canceled" }]);

    // The create request's answer is a snapshot: replayed unchanged, while GET has moved on.
    const late = await pay(alice, { key, body: NEEDS_3DS });
    expect(late.status).toBe(201);
    expect(await late.text()).toBe(first);
    expect(await paymentIntentsOfUser(alice.id, since)).toHaveLength(1);
  });
});
