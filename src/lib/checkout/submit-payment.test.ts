import { describe, expect, it } from "vitest";
import { PAYMENTS_PATH } from "../routes";
import type { PaymentResponse } from "../schemas/payment-response";
import { json, problem, scriptedSeams, type Step } from "../../../tests/helpers/browser-seams";
import { submitPayment } from "./submit-payment";

const REQUEST = { amount: 2_500, currency: "eur", confirmationToken: "ctoken_1" } as const;
const PAYMENT: PaymentResponse = {
  id: "6f1c2a4e-0000-4000-8000-000000000001",
  status: "succeeded",
  amount: 2_500,
  currency: "eur",
  description: null,
  card: { brand: "visa", last4: "4242" },
  paymentIntentId: "pi_123",
  failureCode: null,
  amountRefunded: 0,
  amountRefundFailed: 0,
  dispute: null,
  createdAt: "2026-11-25T12:00:00.000Z",
};



/** Runs submitPayment against scripted answers; records every request and every wait. */
async function run(steps: Step[], maxAttempts?: number) {
  const { requests, sleeps, attempts, seams } = scriptedSeams(steps);
  const outcome = await submitPayment({
    key: "key-1",
    request: REQUEST,
    maxAttempts,
    ...seams,
  });
  return { outcome, requests, sleeps, attempts };
}

describe("submitPayment", () => {
  it("POSTs the body with the key, asks to wait for a duplicate, and returns the payment", async () => {
    const { outcome, requests, sleeps } = await run([json(201, PAYMENT)]);
    expect(outcome).toEqual({ kind: "payment", payment: PAYMENT, replayed: false });
    expect(requests).toHaveLength(1);
    const [{ url, init }] = requests as [{ url: string; init: RequestInit }];
    expect(url).toBe(PAYMENTS_PATH);
    expect(init.method).toBe("POST");
    expect(init.headers).toMatchObject({ "idempotency-key": "key-1", prefer: "wait=5", "content-type": "application/json" });
    expect(JSON.parse(String(init.body))).toEqual(REQUEST);
    expect(sleeps).toEqual([]);
  });

  it("retries a network error with the same key and body, and reports the replay", async () => {
    const { outcome, requests, sleeps, attempts } = await run([
      new TypeError("Failed to fetch"),
      json(201, PAYMENT, { "Idempotent-Replayed": "true" }),
    ]);
    expect(outcome).toEqual({ kind: "payment", payment: PAYMENT, replayed: true });
    expect(requests.map((r) => r.init.headers["idempotency-key"])).toEqual(["key-1", "key-1"]);
    expect(new Set(requests.map((r) => r.init.body)).size).toBe(1);
    expect(sleeps).toEqual([500]);
    expect(attempts).toEqual([
      [1, null],
      [2, "network"],
    ]);
  });

  it("retries a request in progress, an unavailable provider or database and an internal error, with backoff honouring Retry-After", async () => {
    const { outcome, sleeps, attempts } = await run(
      [
        problem(409, "idempotency_request_in_progress", "still running", {}, { "Retry-After": "1" }),
        problem(503, "payment_provider_unavailable", "provider down", {}, { "Retry-After": "2" }),
        problem(503, "service_unavailable", "database down", {}, { "Retry-After": "2" }),
        problem(500, "internal_error", "bug"),
        new Response("<html>Bad gateway</html>", { status: 502 }),
        json(201, PAYMENT),
      ],
      6,
    );
    expect(outcome).toMatchObject({ kind: "payment" });
    expect(sleeps).toEqual([1_000, 2_000, 2_000, 4_000, 8_000]);
    expect(attempts.map(([, reason]) => reason)).toEqual([null, "in_progress", "unavailable", "unavailable", "unavailable", "unavailable"]);
  });

  it("retries a 201 whose body was cut off: the retry gets the replay", async () => {
    const { outcome, requests } = await run([
      new Response('{"id":"6f1c', { status: 201 }),
      json(201, PAYMENT, { "Idempotent-Replayed": "true" }),
    ]);
    expect(outcome).toEqual({ kind: "payment", payment: PAYMENT, replayed: true });
    expect(requests).toHaveLength(2);
  });

  it("retries a decline whose body was cut off, to show the decline whole", async () => {
    const { outcome, requests } = await run([
      new Response('{"type":"/docs/errors#card_de', { status: 402 }),
      problem(402, "card_declined", "Your card was declined.", { declineCode: "generic_decline" }, { "Idempotent-Replayed": "true" }),
    ]);
    expect(outcome).toMatchObject({ kind: "declined", declineCode: "generic_decline", replayed: true });
    expect(requests).toHaveLength(2);
  });

  it("gives up after the last attempt and says the outcome is unknown", async () => {
    const { outcome, requests, sleeps } = await run([new TypeError("x"), new TypeError("x"), new TypeError("x")], 3);
    expect(outcome).toEqual({ kind: "unanswered", reason: "network", message: "We could not reach the server." });
    expect(requests).toHaveLength(3);
    expect(sleeps).toEqual([500, 1_000]);
  });

  it("returns a decline with its code and the failed payment, without retrying", async () => {
    const declined = { ...PAYMENT, status: "failed", failureCode: "generic_decline" };
    const { outcome, requests } = await run([
      problem(402, "card_declined", "Your card was declined.", { declineCode: "generic_decline", payment: declined }),
    ]);
    expect(outcome).toEqual({
      kind: "declined",
      payment: declined,
      declineCode: "generic_decline",
      message: "Your card was declined.",
      replayed: false,
    });
    expect(requests).toHaveLength(1);
  });

  it.each([
    [400, "invalid_request"],
    [401, "unauthorized"],
    [422, "idempotency_key_reused"],
    [429, "rate_limited"],
  ])("does not retry %i: it shows the problem's detail", async (status, code) => {
    const { outcome, requests } = await run([problem(status, code, `detail of ${code}`)]);
    expect(outcome).toEqual({ kind: "rejected", status, code, message: `detail of ${code}` });
    expect(requests).toHaveLength(1);
  });

  it("reads a payment stored by an earlier release, or written by a later one", async () => {
    // Answers are replayed for a day as first stored: before failed refunds and disputes were
    // shown they had neither field. A later release may add fields and statuses.
    const { amountRefundFailed: _failed, dispute: _dispute, ...firstRelease } = PAYMENT;
    const later = { ...PAYMENT, status: "requires_review", riskLevel: "normal" };
    for (const body of [firstRelease, later]) {
      const { outcome } = await run([json(201, body)]);
      expect(outcome).toMatchObject({ kind: "payment", payment: { id: PAYMENT.id, status: body.status } });
    }
    const declined = { ...firstRelease, status: "failed", failureCode: "generic_decline" };
    const { outcome } = await run([problem(402, "card_declined", "Declined.", { declineCode: "generic_decline", payment: declined })]);
    expect(outcome).toMatchObject({ kind: "declined", payment: declined });
  });
});

describe("answers without one of the API's codes: the status decides", () => {
  it("shows a 4xx that is not a problem document by its status, without a code", async () => {
    const { outcome } = await run([new Response("nope", { status: 404 })]);
    expect(outcome).toEqual({ kind: "rejected", status: 404, code: null, message: "The request failed (HTTP 404)." });
  });

  it("waits on a bare 409 and retries a bare 5xx, as for the API's own", async () => {
    const { outcome, attempts } = await run([
      new Response(null, { status: 409 }),
      new Response("<html>Service Unavailable</html>", { status: 503 }),
      json(201, PAYMENT),
    ]);
    expect(outcome).toMatchObject({ kind: "payment" });
    expect(attempts.map(([, reason]) => reason)).toEqual([null, "in_progress", "unavailable"]);
  });

  it("treats a code from a later release by its status, showing its detail", async () => {
    const { outcome, requests } = await run([problem(503, "maintenance_window", "back soon"), problem(403, "account_frozen", "frozen")]);
    expect(outcome).toEqual({ kind: "rejected", status: 403, code: null, message: "frozen" });
    expect(requests).toHaveLength(2);
  });
});

describe("the code decides, not the status", () => {
  it.each([
    ["card_declined", { kind: "declined", message: "detail of card_declined" }],
    ["rate_limited", { kind: "rejected", code: "rate_limited" }],
    ["unauthorized", { kind: "rejected", code: "unauthorized" }],
    ["outcome_not_recorded", { kind: "rejected", code: "outcome_not_recorded" }],
  ])("does not retry %s, whatever status carries it", async (code, expected) => {
    const { outcome, requests } = await run([problem(400, code, `detail of ${code}`)]);
    expect(outcome).toMatchObject(expected);
    expect(requests).toHaveLength(1);
  });

  it("retries payment_provider_unavailable whatever its status", async () => {
    const { outcome, attempts } = await run([problem(429, "payment_provider_unavailable", "Stripe is rate limiting"), json(201, PAYMENT)]);
    expect(outcome).toMatchObject({ kind: "payment" });
    expect(attempts.map(([, reason]) => reason)).toEqual([null, "unavailable"]);
  });
});

describe("a payment the provider processed but the server has not recorded yet", () => {
  it("stops at the first outcome_not_recorded instead of retrying, and passes its detail on", async () => {
    const detail = "The payment provider processed this request (pi_42), but its outcome could not be recorded yet.";
    const { outcome, requests, sleeps } = await run([problem(500, "outcome_not_recorded", detail, { stripeObjectId: "pi_42" })]);
    expect(outcome).toEqual({ kind: "rejected", status: 500, code: "outcome_not_recorded", message: detail });
    expect(requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("still retries any other 500 with the same key", async () => {
    const { outcome, requests } = await run([problem(500, "internal_error", "oops"), json(201, PAYMENT)]);
    expect(outcome).toEqual({ kind: "payment", payment: PAYMENT, replayed: false });
    expect(requests.map((r) => r.init.headers["idempotency-key"])).toEqual(["key-1", "key-1"]);
  });
});

