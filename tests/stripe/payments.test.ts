import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db";
import { stripe } from "@/server/stripe";
import { customer, pay } from "../helpers/payments-api";
import { nowSeconds, paymentIntentsOfUser } from "./payment-intents-of-user";
import { stripeSideForFile } from "./stripe-side-for-file";

// Flow 1 of the contract suite: a card that succeeds, its replay, and its key reused for
// another body. The same assertions against the emulator and against real Stripe test mode.
stripeSideForFile();

const ORDER = { amount: 2_500, currency: "eur", paymentMethod: "pm_card_visa", description: "Contract order 1001" } as const;

describe("a payment with pm_card_visa", () => {
  it("is charged once: 201 with Location, one PaymentIntent with our metadata, one payment row; the same key replays it byte for byte", async () => {
    const since = nowSeconds();
    const alice = await customer();
    const key = randomUUID();

    const created = await pay(alice, { key, body: ORDER });
    expect(created.status).toBe(201);
    expect(created.headers.get("idempotent-replayed")).toBeNull();
    const first = await created.text();
    const payment = JSON.parse(first);
    expect(created.headers.get("location")).toBe(`/api/payments/${payment.id}`);
    expect(payment).toMatchObject({
      status: "succeeded",
      amount: ORDER.amount,
      currency: ORDER.currency,
      description: ORDER.description,
      failureCode: null,
      amountRefunded: 0,
    });
    expect(payment.paymentIntentId).toMatch(/^pi_/);
    expect(payment).not.toHaveProperty("clientSecret");

    const intent = await stripe().paymentIntents.retrieve(payment.paymentIntentId);
    expect(intent).toMatchObject({
      status: "succeeded",
      amount: ORDER.amount,
      amount_received: ORDER.amount,
      currency: ORDER.currency,
      description: ORDER.description,
      metadata: { payment_id: payment.id, idempotency_key_id: payment.id, user_id: alice.id },
    });
    expect((await paymentIntentsOfUser(alice.id, since)).map((i) => i.id)).toEqual([intent.id]);
    expect(await db().payment.findMany({ where: { userId: alice.id } })).toMatchObject([
      { id: payment.id, status: "succeeded", amount: ORDER.amount, currency: ORDER.currency, stripePaymentIntentId: intent.id },
    ]);

    // A retry: same key, same body (key order does not matter), the first answer again.
    const { description, paymentMethod, currency, amount } = ORDER;
    const replay = await pay(alice, { key, body: { description, paymentMethod, currency, amount } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("location")).toBe(created.headers.get("location"));
    expect(await replay.text()).toBe(first);
    expect((await paymentIntentsOfUser(alice.id, since)).map((i) => i.id)).toEqual([intent.id]);
    expect(await db().payment.count({ where: { userId: alice.id } })).toBe(1);
  });

  it("refuses the same key with another body: 422 idempotency_key_reused, nothing more at Stripe", async () => {
    const since = nowSeconds();
    const alice = await customer();
    const key = randomUUID();
    expect((await pay(alice, { key, body: ORDER })).status).toBe(201);

    const reused = await pay(alice, { key, body: { ...ORDER, amount: ORDER.amount + 100 } });
    expect(reused.status).toBe(422);
    expect(reused.headers.get("content-type")).toBe("application/problem+json");
    expect(reused.headers.get("idempotent-replayed")).toBeNull();
    expect(await reused.json()).toMatchObject({ status: 422, code: "idempotency_key_reused" });
    expect(await paymentIntentsOfUser(alice.id, since)).toHaveLength(1);
    expect(await db().payment.count({ where: { userId: alice.id } })).toBe(1);
  });
});
