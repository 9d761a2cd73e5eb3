import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db";
import { stripe } from "@/server/stripe";
import { customer, pay } from "../helpers/payments-api";
import { nowSeconds, paymentIntentsOfUser } from "./payment-intents-of-user";
import { stripeSideForFile } from "./stripe-side-for-file";

// Flow 2: a declined card. Stripe answers 402 with the PaymentIntent, which stays at Stripe in
// `requires_payment_method` with the decline on `last_payment_error`; `pm_card_chargeDeclined`
// is the documented generic decline (docs.stripe.com/testing#declined-payments).
const stripeFile = stripeSideForFile();

const DECLINED = { amount: 2_500, currency: "usd", paymentMethod: "pm_card_chargeDeclined" } as const;

describe("a payment with pm_card_chargeDeclined", () => {
  it("is 402 card_declined with its decline code, replayed as 402; one failed PaymentIntent and one failed row", async () => {
    const since = nowSeconds();
    const alice = await customer();
    const key = randomUUID();

    const declined = await pay(alice, { key, body: DECLINED });
    expect(declined.status).toBe(402);
    expect(declined.headers.get("content-type")).toBe("application/problem+json");
    expect(declined.headers.get("idempotent-replayed")).toBeNull();
    const first = await declined.text();
    const problem = JSON.parse(first);
    expect(problem).toMatchObject({
      status: 402,
      code: "card_declined",
      declineCode: "generic_decline",
      payment: { status: "failed", failureCode: "generic_decline", amount: DECLINED.amount, currency: DECLINED.currency },
    });
    const { id: paymentId, paymentIntentId } = problem.payment;

    const intent = await stripe().paymentIntents.retrieve(paymentIntentId);
    expect(intent).toMatchObject({
      status: "requires_payment_method",
      amount: DECLINED.amount,
      amount_received: 0,
      last_payment_error: { code: "card_declined", decline_code: "generic_decline" },
      metadata: { payment_id: paymentId, user_id: alice.id },
    });
    expect((await paymentIntentsOfUser(alice.id, since)).map((i) => i.id)).toEqual([intent.id]);
    expect(await db().payment.findMany({ where: { userId: alice.id } })).toMatchObject([
      { id: paymentId, status: "failed", failureCode: "generic_decline", stripePaymentIntentId: intent.id },
    ]);

    // A decline is final for its key: the retry gets the same 402, and nothing is charged again.
    const replay = await pay(alice, { key, body: DECLINED });
    expect(replay.status).toBe(402);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.text()).toBe(first);
    expect((await paymentIntentsOfUser(alice.id, since)).map((i) => i.id)).toEqual([intent.id]);

    // Stripe's payment_failed event arrives too, and is applied to the same row.
    await stripeFile.eventually("payment_intent.payment_failed delivered", () => {
      const [delivery] = stripeFile.deliveriesOf("payment_intent.payment_failed", (o) => o.id === intent.id);
      expect(delivery).toMatchObject({ status: 200, body: { received: true } });
    });
    expect(await db().payment.findMany({ where: { userId: alice.id } })).toMatchObject([
      { id: paymentId, status: "failed", failureCode: "generic_decline" },
    ]);
  });
});
