import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { env } from "@/env";
import { db } from "@/server/db";
import { paymentTimeline } from "@/server/payments/payment-timeline";
import { customer, pay, show, VALID_PAYMENT, type TestCustomer } from "../helpers/payments-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";
import { deliver } from "../helpers/stripe-webhooks";

// The server's side of the browser checkout (DESIGN.md §9.2): a ConfirmationToken from the
// Payment Element pays exactly once, the card is recorded, and GET /api/payments/{id} reads
// an unsettled payment back from Stripe, so the page learns how 3-D Secure ended whether or
// not webhooks arrive (this file's emulator sends none).
const stripe = startStripeEmulatorForFile();

/** What Stripe.js does in the browser: a ConfirmationToken made with the publishable key. */
async function confirmationToken(number: string): Promise<string> {
  const publishableKey = env().STRIPE_SECRET_KEY.replace(/^sk_/, "pk_");
  const response = await fetch(new URL("/v1/confirmation_tokens", stripe.emulator.url), {
    method: "POST",
    headers: { Authorization: `Bearer ${publishableKey}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      "payment_method_data[type]": "card",
      "payment_method_data[card][number]": number,
      "payment_method_data[card][exp_month]": "12",
      "payment_method_data[card][exp_year]": "2034",
      "payment_method_data[card][cvc]": "123",
      "payment_method_data[billing_details][address][postal_code]": "10001",
      return_url: "http://localhost:3000/pay/return",
    }),
  });
  expect(response.status).toBe(200);
  const token = (await response.json()) as { id: string };
  return token.id;
}

const payWithToken = async (who: TestCustomer, token: string, key = randomUUID()) =>
  pay(who, { key, body: { amount: 4_550, currency: "chf", confirmationToken: token } });

const paymentRow = (id: string) => db().payment.findFirstOrThrow({ where: { id } });

describe("a payment from the Payment Element's ConfirmationToken", () => {
  it("pays once per key, records the card, and replays the same answer", async () => {
    const alice = await customer();
    const key = randomUUID();
    const token = await confirmationToken("4242424242424242");

    const first = await payWithToken(alice, token, key);
    expect(first.status).toBe(201);
    const payment = await first.json();
    expect(payment).toMatchObject({ status: "succeeded", amount: 4_550, currency: "chf", card: { brand: "visa", last4: "4242" } });
    expect(payment).not.toHaveProperty("clientSecret");
    expect(await paymentRow(payment.id)).toMatchObject({ cardBrand: "visa", cardLast4: "4242", status: "succeeded" });

    const replay = await payWithToken(alice, token, key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.json()).toEqual(payment);
    expect(stripe.emulator.paymentIntents({ metadata: { user_id: alice.id } })).toHaveLength(1);
  });

  it("a declined card is a 402 with the card recorded", async () => {
    const alice = await customer();
    const response = await payWithToken(alice, await confirmationToken("4000000000009995"));
    expect(response.status).toBe(402);
    const problem = await response.json();
    expect(problem).toMatchObject({ code: "card_declined", declineCode: "insufficient_funds", payment: { status: "failed", card: { last4: "9995" } } });
  });

  it.each([
    ["neither a token nor a PaymentMethod", { amount: 2_500, currency: "eur" }, "paymentMethod"],
    ["both", { ...VALID_PAYMENT, confirmationToken: "ctoken_1" }, "confirmationToken"],
    ["a token that is not a ctoken_ id", { amount: 2_500, currency: "eur", confirmationToken: "tok_visa" }, "confirmationToken"],
    ["a token with a NUL byte", { amount: 2_500, currency: "eur", confirmationToken: "ctoken_\u0000" }, "confirmationToken"],
  ])("refuses %s with 400 naming the field, before the key is claimed", async (_what, body, field) => {
    const alice = await customer();
    const key = randomUUID();
    const response = await pay(alice, { key, body });
    expect(response.status).toBe(400);
    const problem = await response.json();
    expect(problem.code).toBe("invalid_request");
    expect(problem.errors.map((error: { path: string }) => error.path)).toContain(field);
    expect(await db().idempotencyKey.count({ where: { userId: alice.id, key } })).toBe(0);
  });

  it("a token already used by another payment is refused by Stripe: 400, and nothing is charged twice", async () => {
    const alice = await customer();
    const token = await confirmationToken("4242424242424242");
    expect((await payWithToken(alice, token)).status).toBe(201);

    const second = await payWithToken(alice, token);
    expect(second.status).toBe(400);
    expect(await second.json()).toMatchObject({ code: "invalid_request" });
    const intents = stripe.emulator.paymentIntents({ metadata: { user_id: alice.id } });
    expect(intents.filter((intent) => intent.status === "succeeded")).toHaveLength(1);
  });
});

describe("GET /api/payments/{id} after 3-D Secure, without webhooks", () => {
  async function paymentNeedingAuthentication(who: TestCustomer) {
    const response = await payWithToken(who, await confirmationToken("4000002760003184"));
    expect(response.status).toBe(201);
    const payment = await response.json();
    expect(payment).toMatchObject({ status: "requires_action", clientSecret: expect.stringMatching(/^pi_\w+_secret_\w+$/) });
    return payment as { id: string; paymentIntentId: string; clientSecret: string };
  }

  it("hands the client secret back while the payment still requires action", async () => {
    const alice = await customer();
    const payment = await paymentNeedingAuthentication(alice);
    const read = await show(alice, payment.id);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ status: "requires_action", clientSecret: payment.clientSecret });
  });

  it("reads a completed authentication from Stripe and records it", async () => {
    const alice = await customer();
    const payment = await paymentNeedingAuthentication(alice);
    stripe.emulator.authenticatePaymentIntent(payment.paymentIntentId, "succeed");

    const read = await show(alice, payment.id);
    const body = await read.json();
    expect(body).toMatchObject({ status: "succeeded", failureCode: null, card: { brand: "visa", last4: "3184" } });
    expect(body).not.toHaveProperty("clientSecret");
    expect(await paymentRow(payment.id)).toMatchObject({ status: "succeeded" });
  });

  it("reads a failed authentication as a failed payment with Stripe's code", async () => {
    const alice = await customer();
    const payment = await paymentNeedingAuthentication(alice);
    stripe.emulator.authenticatePaymentIntent(payment.paymentIntentId, "fail");

    expect(await (await show(alice, payment.id)).json()).toMatchObject({
      status: "failed",
      failureCode: "payment_intent_authentication_failure",
    });
    expect(await paymentRow(payment.id)).toMatchObject({ status: "failed", failureCode: "payment_intent_authentication_failure" });
  });

  it("shows the stored state when Stripe does not answer, and never another user's payment", async () => {
    const alice = await customer();
    const payment = await paymentNeedingAuthentication(alice);
    stripe.emulator.setFaults({ failNext: 5 });
    const read = await show(alice, payment.id);
    expect(read.status).toBe(200);
    const body = await read.json();
    // Stripe did not say the payment still requires action: no secret is handed out on a guess.
    expect(body).toMatchObject({ status: "requires_action" });
    expect(body).not.toHaveProperty("clientSecret");

    const mallory = await customer();
    expect((await show(mallory, payment.id)).status).toBe(404);
  });
});

describe("a payment's timeline from webhooks", () => {
  const event = (id: string, type: string, created: number, object: object) => ({
    id,
    object: "event",
    type,
    created,
    api_version: "2026-10-28.endive",
    livemode: false,
    data: { object },
  });

  it("places every event about the payment's intent in the order Stripe made them, for its owner only", async () => {
    const alice = await customer();
    const response = await pay(alice);
    const payment = await response.json();
    const intent = { id: payment.paymentIntentId, object: "payment_intent", amount: 2_500, currency: "eur", created: 1_700_000_000, metadata: {} };
    const later = `evt_${randomUUID().replaceAll("-", "")}`;
    const earlier = `evt_${randomUUID().replaceAll("-", "")}`;
    // Delivered out of order: the later event first.
    expect((await deliver(event(later, "charge.refunded", 1_700_000_100, { id: "ch_1", object: "charge", payment_intent: intent.id }))).status).toBe(200);
    expect((await deliver(event(earlier, "payment_intent.succeeded", 1_700_000_050, intent))).status).toBe(200);
    expect((await deliver(event(`evt_${randomUUID().replaceAll("-", "")}`, "customer.created", 1_700_000_000, { id: "cus_1", object: "customer" }))).status).toBe(200);

    const timeline = await paymentTimeline(alice.id, payment.id);
    expect(timeline.map((entry) => [entry.eventId, entry.type, entry.occurredAt.toISOString()])).toEqual([
      [earlier, "payment_intent.succeeded", "2023-11-14T22:14:10.000Z"],
      [later, "charge.refunded", "2023-11-14T22:15:00.000Z"],
    ]);
    const mallory = await customer();
    await expect(paymentTimeline(mallory.id, payment.id)).resolves.toEqual([]);
    await expect(paymentTimeline(alice.id, "not-a-uuid")).resolves.toEqual([]);
  });
});
