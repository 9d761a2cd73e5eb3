import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { refundPath, refundsPath } from "@/lib/routes";
import { db } from "@/server/db";
import { stripe as stripeClient } from "@/server/stripe";
import { customer, pay, show, type TestCustomer, VALID_PAYMENT } from "../helpers/payments-api";
import { refund, refundsOf, showRefund } from "../helpers/refunds-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";
import { deliver } from "../helpers/stripe-webhooks";

const stripe = startStripeEmulatorForFile();

type PaymentBody = { id: string; status: string; amount: number; paymentIntentId: string };

async function paidPayment(who: TestCustomer): Promise<PaymentBody> {
  const response = await pay(who);
  expect(response.status).toBe(201);
  const payment = (await response.json()) as PaymentBody;
  expect(payment.status).toBe("succeeded");
  return payment;
}

async function stripeRefundsOf(paymentIntentId: string) {
  return (await stripeClient().refunds.list({ payment_intent: paymentIntentId, limit: 100 })).data;
}

const keyRows = (userId: string) => db().idempotencyKey.count({ where: { userId } });
const paymentRow = (id: string) => db().payment.findFirstOrThrow({ where: { id } });

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = await response.json();
  expect(body).toMatchObject({ status, code, type: `/docs/errors#${code}` });
  return body;
}

describe("POST /api/payments/{id}/refunds", () => {
  it("refunds what is left by default: 201, Location, the refund on the payment, our metadata at Stripe", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    const key = randomUUID();

    const response = await refund(alice, payment.id, { key, body: { reason: "requested_by_customer" } });

    expect(response.status).toBe(201);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("idempotent-replayed")).toBeNull();
    const body = await response.json();
    expect(Object.keys(body).sort()).toEqual(["amount", "createdAt", "id", "paymentId", "status", "stripeRefundId"]);
    expect(body).toMatchObject({ paymentId: payment.id, amount: VALID_PAYMENT.amount, status: "succeeded" });
    expect(response.headers.get("location")).toBe(refundPath(payment.id, body.id));
    expect(await (await showRefund(alice, response.headers.get("location")!)).json()).toEqual(body);

    const keyRow = await db().idempotencyKey.findUniqueOrThrow({ where: { userId_key: { userId: alice.id, key } } });
    expect(keyRow).toMatchObject({ id: body.id, path: refundsPath(payment.id), responseStatus: 201 });
    expect(await db().refund.findFirstOrThrow({ where: { id: body.id } })).toMatchObject({
      paymentId: payment.id,
      userId: alice.id,
      amount: VALID_PAYMENT.amount,
      stripeRefundId: body.stripeRefundId,
      idempotencyKeyId: keyRow.id,
    });
    expect((await paymentRow(payment.id)).amountRefunded).toBe(VALID_PAYMENT.amount);

    const [atStripe, ...others] = await stripeRefundsOf(payment.paymentIntentId);
    expect(others).toHaveLength(0);
    expect(atStripe).toMatchObject({
      id: body.stripeRefundId,
      amount: VALID_PAYMENT.amount,
      reason: "requested_by_customer",
      metadata: { refund_id: body.id, payment_id: payment.id, user_id: alice.id, idempotency_key_id: keyRow.id },
    });

    const detail = await (await show(alice, payment.id)).json();
    expect(detail).toMatchObject({ id: payment.id, amountRefunded: VALID_PAYMENT.amount, refunds: [body] });
    expect(await (await refundsOf(alice, payment.id)).json()).toEqual({ data: [body] });
  });

  it("replays a retry with the same key byte for byte, without a second refund", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    const key = randomUUID();
    const first = await refund(alice, payment.id, { key, body: { amount: 1_000 } });
    expect(first.status).toBe(201);
    const firstText = await first.text();

    const retry = await refund(alice, payment.id, { key, body: { amount: 1_000 } });

    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.headers.get("location")).toBe(first.headers.get("location"));
    expect(await retry.text()).toBe(firstText);
    expect(await stripeRefundsOf(payment.paymentIntentId)).toHaveLength(1);
    expect((await paymentRow(payment.id)).amountRefunded).toBe(1_000);
  });

  it("refuses the same key with another body, or for another payment, with 422", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    const other = await paidPayment(alice);
    const key = randomUUID();
    expect((await refund(alice, payment.id, { key, body: { amount: 1_000 } })).status).toBe(201);

    await expectProblem(await refund(alice, payment.id, { key, body: { amount: 1_500 } }), 422, "idempotency_key_reused");
    await expectProblem(await refund(alice, payment.id, { key }), 422, "idempotency_key_reused");
    await expectProblem(await refund(alice, other.id, { key, body: { amount: 1_000 } }), 422, "idempotency_key_reused");
    // A payment's key is not a refund's key either: the path is part of the fingerprint.
    const paymentKey = randomUUID();
    expect((await pay(alice, { key: paymentKey })).status).toBe(201);
    await expectProblem(await refund(alice, payment.id, { key: paymentKey }), 422, "idempotency_key_reused");

    expect(await stripeRefundsOf(payment.paymentIntentId)).toHaveLength(1);
    expect(await stripeRefundsOf(other.paymentIntentId)).toHaveLength(0);
  });

  it("refunds once for ten concurrent requests with one key", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    const key = randomUUID();
    // Slow enough at Stripe that all ten arrive while the first holds the key.
    stripe.emulator.setFaults({ latencyMs: 300, pathPrefix: "/v1/refunds" });

    const responses = await Promise.all(
      Array.from({ length: 10 }, () => refund(alice, payment.id, { key, body: { amount: 700 }, headers: { Prefer: "wait=5" } })),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(responses.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(9);
    expect(new Set(await Promise.all(responses.map((r) => r.text()))).size).toBe(1);
    expect(await stripeRefundsOf(payment.paymentIntentId)).toHaveLength(1);
    expect(await db().refund.count({ where: { paymentId: payment.id } })).toBe(1);
    expect((await paymentRow(payment.id)).amountRefunded).toBe(700);
  });

  it("takes partial refunds up to the amount, then refuses any further refund", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    for (const amount of [1_000, 1_000, 500]) {
      expect((await refund(alice, payment.id, { body: { amount } })).status).toBe(201);
    }
    expect((await paymentRow(payment.id)).amountRefunded).toBe(VALID_PAYMENT.amount);
    const keysBefore = await keyRows(alice.id);

    const more = await expectProblem(await refund(alice, payment.id, { body: { amount: 1 } }), 400, "refund_exceeds_remaining");
    expect(more.amountRemaining).toBe(0);
    await expectProblem(await refund(alice, payment.id), 400, "refund_exceeds_remaining");

    // Refused before Stripe, on rows these requests created: the keys are forgotten.
    expect(await keyRows(alice.id)).toBe(keysBefore);
    expect(await stripeRefundsOf(payment.paymentIntentId)).toHaveLength(3);
    const detail = await (await show(alice, payment.id)).json();
    expect(detail.refunds.map((r: { amount: number }) => r.amount)).toEqual([1_000, 1_000, 500]);
  });

  it("refuses more than is left with 400 and stores nothing", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    expect((await refund(alice, payment.id, { body: { amount: 2_000 } })).status).toBe(201);
    const key = randomUUID();

    const body = await expectProblem(await refund(alice, payment.id, { key, body: { amount: 501 } }), 400, "refund_exceeds_remaining");

    expect(body.amountRemaining).toBe(500);
    expect(await db().idempotencyKey.findUnique({ where: { userId_key: { userId: alice.id, key } } })).toBeNull();
    expect(await stripeRefundsOf(payment.paymentIntentId)).toHaveLength(1);
    // The same key may then be used for a request that fits.
    expect((await refund(alice, payment.id, { key, body: { amount: 500 } })).status).toBe(201);
  });

  it("never over-refunds when refunds under different keys race: Stripe refuses the losers", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    // All five pass our own check (none has completed yet); Stripe serialises them.
    stripe.emulator.setFaults({ latencyMs: 200, pathPrefix: "/v1/refunds" });

    const responses = await Promise.all(Array.from({ length: 5 }, () => refund(alice, payment.id, { body: { amount: 1_000 } })));

    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 400, 400, 400]);
    for (const response of responses.filter((r) => r.status === 400)) {
      await expectProblem(response, 400, "refund_exceeds_remaining");
    }
    const atStripe = await stripeRefundsOf(payment.paymentIntentId);
    expect(atStripe.map((r) => r.amount)).toEqual([1_000, 1_000]);
    expect((await paymentRow(payment.id)).amountRefunded).toBe(2_000);
    expect(await db().refund.count({ where: { paymentId: payment.id } })).toBe(2);
  });

  it("counts every refund completed at once: the refunded amount is kept by the database from the refund rows", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    // Ten completions of ten refunds of one payment commit concurrently.
    const responses = await Promise.all(Array.from({ length: 10 }, () => refund(alice, payment.id, { body: { amount: 100 } })));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(await paymentRow(payment.id)).toMatchObject({ amountRefunded: 1_000, amountRefundFailed: 0 });
    expect(await db().refund.count({ where: { paymentId: payment.id } })).toBe(10);
  });

  it("answers 404 for another user's payment or an unknown one, and stores no key", async () => {
    const alice = await customer();
    const bob = await customer();
    const payment = await paidPayment(alice);

    for (const id of [payment.id, randomUUID(), "not-a-payment"]) {
      const key = randomUUID();
      await expectProblem(await refund(bob, id, { key }), 404, "not_found");
      expect(await db().idempotencyKey.findUnique({ where: { userId_key: { userId: bob.id, key } } })).toBeNull();
    }
    await expectProblem(await refundsOf(bob, payment.id), 404, "not_found");
    expect(await keyRows(bob.id)).toBe(0);
    expect(await stripeRefundsOf(payment.paymentIntentId)).toHaveLength(0);
  });

  it("refuses a payment that did not succeed with 400 payment_not_refundable", async () => {
    const alice = await customer();
    const pending = await (await pay(alice, { body: { ...VALID_PAYMENT, paymentMethod: "pm_card_authenticationRequired" } })).json();
    const declined = await pay(alice, { body: { ...VALID_PAYMENT, paymentMethod: "pm_card_chargeDeclined" } });
    expect(declined.status).toBe(402);
    const declinedPayment = (await declined.json()).payment;
    const keysBefore = await keyRows(alice.id);

    await expectProblem(await refund(alice, pending.id), 400, "payment_not_refundable");
    await expectProblem(await refund(alice, declinedPayment.id), 400, "payment_not_refundable");
    expect(await keyRows(alice.id)).toBe(keysBefore);
  });

  it.each([
    ["a zero amount", { amount: 0 }],
    ["a negative amount", { amount: -100 }],
    ["a fractional amount", { amount: 10.5 }],
    ["an amount as a string", { amount: "100" }],
    ["an unknown reason", { reason: "changed_my_mind" }],
    ["an unknown field", { amount: 100, currency: "eur" }],
  ])("refuses %s with 400 invalid_request and stores nothing", async (_label, body) => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    const keysBefore = await keyRows(alice.id);
    const problem = await expectProblem(await refund(alice, payment.id, { body }), 400, "invalid_request");
    expect(problem.errors.length).toBeGreaterThan(0);
    expect(await keyRows(alice.id)).toBe(keysBefore);
  });

  it("requires credentials and an Idempotency-Key", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    await expectProblem(await refund(null, payment.id), 401, "unauthorized");
    await expectProblem(await refund(alice, payment.id, { key: null }), 400, "idempotency_key_missing");
    expect(await stripeRefundsOf(payment.paymentIntentId)).toHaveLength(0);
  });
});

describe("POST /api/payments/{id}/refunds — when Stripe fails", () => {
  it("answers 503 on a Stripe outage, stores nothing final, and the retry refunds once", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    const key = randomUUID();
    stripe.emulator.setFaults({ failNext: 1, pathPrefix: "/v1/refunds" });

    await expectProblem(await refund(alice, payment.id, { key }), 503, "payment_provider_unavailable");
    expect(await db().idempotencyKey.findUniqueOrThrow({ where: { userId_key: { userId: alice.id, key } } })).toMatchObject({
      recoveryPoint: "started",
      lockToken: null,
      responseStatus: null,
    });

    stripe.emulator.resetFaults();
    expect((await refund(alice, payment.id, { key })).status).toBe(201);
    expect(await stripeRefundsOf(payment.paymentIntentId)).toHaveLength(1);
  });

  it("recovers a refund whose answer was lost, even after its webhooks already counted it", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    const key = randomUUID();
    // Stripe refunds, then the connection drops (twice: stripe-node retries once by itself).
    stripe.emulator.setFaults({ dropNext: 2, pathPrefix: "/v1/refunds" });
    await expectProblem(await refund(alice, payment.id, { key }), 503, "payment_provider_unavailable");
    stripe.emulator.resetFaults();
    const [atStripe] = await stripeRefundsOf(payment.paymentIntentId);
    expect(atStripe).toBeDefined();

    // The webhooks land before the client retries: the refund is known, the payment fully refunded.
    for (const type of ["refund.created", "charge.refunded"]) {
      const event = stripe.emulator.events({ type }).find((e) => e.data.object.payment_intent === payment.paymentIntentId);
      expect((await deliver(event!)).status).toBe(200);
    }
    expect((await paymentRow(payment.id)).amountRefunded).toBe(VALID_PAYMENT.amount);
    const fromWebhook = await db().refund.findFirstOrThrow({ where: { stripeRefundId: atStripe!.id } });

    // The retry re-drives the same Stripe key: Stripe replays the refund, nothing is counted twice.
    const retry = await refund(alice, payment.id, { key });
    expect(retry.status).toBe(201);
    const body = await retry.json();
    expect(body).toMatchObject({ id: fromWebhook.id, stripeRefundId: atStripe!.id, amount: VALID_PAYMENT.amount });
    expect(await stripeRefundsOf(payment.paymentIntentId)).toHaveLength(1);
    expect(await db().refund.count({ where: { paymentId: payment.id } })).toBe(1);
    expect((await paymentRow(payment.id)).amountRefunded).toBe(VALID_PAYMENT.amount);
    expect((await db().refund.findFirstOrThrow({ where: { id: body.id } })).createdAt.toISOString()).toBe(body.createdAt);
  });
});

describe("ids in paths are canonical: any case of a UUID is the same resource", () => {
  /** 6f1c2a3e-… → 6F1c2A3e-…: a client that copied an id through something that changed its case. */
  const mixedCase = (id: string) => [...id].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join("");

  it("GET with the upper-cased payment id answers the same payment and its refunds", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    expect((await refund(alice, payment.id, { body: { amount: 500 } })).status).toBe(201);

    const upper = await show(alice, payment.id.toUpperCase());
    expect(upper.status).toBe(200);
    expect(await upper.json()).toEqual(await (await show(alice, payment.id)).json());
    expect(await (await refundsOf(alice, mixedCase(payment.id))).json()).toEqual(await (await refundsOf(alice, payment.id)).json());
  });

  it("a refund retried with the same key at the upper-cased path is a replay: one refund at Stripe, one row", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    const key = randomUUID();
    const first = await refund(alice, payment.id, { key, body: { amount: 1_000 } });
    expect(first.status).toBe(201);
    const firstText = await first.text();

    const retry = await refund(alice, payment.id.toUpperCase(), { key, body: { amount: 1_000 } });

    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.headers.get("location")).toBe(first.headers.get("location"));
    expect(await retry.text()).toBe(firstText);
    expect(await stripeRefundsOf(payment.paymentIntentId)).toHaveLength(1);
    expect(await db().refund.count({ where: { paymentId: payment.id } })).toBe(1);
    expect((await paymentRow(payment.id)).amountRefunded).toBe(1_000);
  });

  it("a refund first sent at a mixed-case path is keyed and located by the canonical id", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    const key = randomUUID();
    const first = await refund(alice, mixedCase(payment.id), { key, body: { amount: 700 } });
    expect(first.status).toBe(201);
    const body = await first.json();
    expect(body.paymentId).toBe(payment.id);
    expect(first.headers.get("location")).toBe(refundPath(payment.id, body.id));
    const keyRow = await db().idempotencyKey.findUniqueOrThrow({ where: { userId_key: { userId: alice.id, key } } });
    expect(keyRow.path).toBe(refundsPath(payment.id));

    const retry = await refund(alice, payment.id, { key, body: { amount: 700 } });
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await stripeRefundsOf(payment.paymentIntentId)).toHaveLength(1);
  });

  it("GET of a refund by mixed-case payment and refund ids answers that refund", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    const created = await refund(alice, payment.id, { body: { amount: 300 } });
    const body = await created.json();

    const response = await showRefund(alice, refundPath(mixedCase(payment.id), mixedCase(body.id)));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(body);
    const upperRefundOnly = await showRefund(alice, refundPath(payment.id, body.id.toUpperCase()));
    expect(await upperRefundOnly.json()).toEqual(body);
  });

  it("an id that is not a UUID is 404 everywhere, and no key is claimed for it", async () => {
    const alice = await customer();
    const payment = await paidPayment(alice);
    const keysBefore = await keyRows(alice.id);
    await expectProblem(await refund(alice, `${payment.id}x`), 404, "not_found");
    await expectProblem(await refund(alice, payment.id.replaceAll("-", "")), 404, "not_found");
    await expectProblem(await refundsOf(alice, "not-a-uuid"), 404, "not_found");
    await expectProblem(await showRefund(alice, refundPath(payment.id, "not-a-uuid")), 404, "not_found");
    expect(await keyRows(alice.id)).toBe(keysBefore);
    expect(await stripeRefundsOf(payment.paymentIntentId)).toHaveLength(0);
  });
});
