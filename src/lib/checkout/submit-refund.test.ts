import { describe, expect, it } from "vitest";
import { refundsPath } from "../routes";
import type { RefundResponse } from "../schemas/refund-response";
import { json, keysOf, problem, scriptedSeams, type Step } from "../../../tests/helpers/browser-seams";
import { submitRefund } from "./submit-refund";

const PAYMENT_ID = "6f1c2a4e-0000-4000-8000-000000000001";
const REFUND: RefundResponse = {
  id: "0b7e0000-0000-4000-8000-000000000002",
  paymentId: PAYMENT_ID,
  amount: 1_000,
  status: "succeeded",
  stripeRefundId: "re_123",
  createdAt: "2026-11-25T12:00:00.000Z",
};



/** Runs submitRefund against scripted answers; records every request and every wait. */
async function run(steps: Step[], maxAttempts?: number) {
  const { requests, sleeps, seams } = scriptedSeams(steps);
  const outcome = await submitRefund({
    paymentId: PAYMENT_ID,
    key: "refund-key-1",
    request: { amount: 1_000 },
    maxAttempts,
    ...seams,
  });
  return { outcome, requests, sleeps };
}


describe("submitRefund", () => {
  it("POSTs the amount to the payment's refunds with the key, and returns the refund", async () => {
    const { outcome, requests } = await run([json(201, REFUND)]);
    expect(outcome).toEqual({ kind: "refund", refund: REFUND, replayed: false });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe(refundsPath(PAYMENT_ID));
    expect(requests[0]?.init).toMatchObject({ method: "POST", body: '{"amount":1000}' });
    expect(requests[0]?.init.headers).toMatchObject({ "idempotency-key": "refund-key-1", prefer: "wait=5" });
  });

  it("retries a lost response, a request in progress and an unavailable provider with the same key and body; the retry's replay is reported", async () => {
    const { outcome, requests, sleeps } = await run([
      new TypeError("Failed to fetch"),
      problem(409, "idempotency_request_in_progress", "still running", {}, { "Retry-After": "2" }),
      problem(503, "payment_provider_unavailable", "Stripe is down", {}, { "Retry-After": "7" }),
      json(201, REFUND, { "Idempotent-Replayed": "true" }),
    ]);
    expect(outcome).toEqual({ kind: "refund", refund: REFUND, replayed: true });
    expect(keysOf(requests)).toEqual(["refund-key-1", "refund-key-1", "refund-key-1", "refund-key-1"]);
    expect(new Set(requests.map((r) => r.init.body))).toEqual(new Set(['{"amount":1000}']));
    expect(sleeps).toEqual([500, 2_000, 7_000]);
  });

  it("retries a 201 whose body was cut off or is not a refund, to show the refund whole", async () => {
    const { outcome, requests } = await run([
      new Response('{"id":"0b7e', { status: 201 }),
      json(201, { id: REFUND.id }),
      json(201, REFUND, { "Idempotent-Replayed": "true" }),
    ]);
    expect(outcome).toEqual({ kind: "refund", refund: REFUND, replayed: true });
    expect(requests).toHaveLength(3);
  });

  it("reads a refund with a status from a later release", async () => {
    const { outcome } = await run([json(201, { ...REFUND, status: "requires_review", extra: true })]);
    expect(outcome).toMatchObject({ kind: "refund", refund: { id: REFUND.id, status: "requires_review" } });
  });

  it("does not retry an amount above what is left, and says how much is", async () => {
    const detail = "At most 500 (eur, minor units) of this payment is left to refund.";
    const { outcome, requests } = await run([problem(400, "refund_exceeds_remaining", detail, { amountRemaining: 500 })]);
    expect(outcome).toEqual({ kind: "rejected", status: 400, code: "refund_exceeds_remaining", message: detail, amountRemaining: 500 });
    expect(requests).toHaveLength(1);
  });

  it.each([
    [400, "payment_not_refundable"],
    [400, "invalid_request"],
    [404, "not_found"],
    [422, "idempotency_key_reused"],
    [500, "outcome_not_recorded"],
  ])("does not retry %i %s", async (status, code) => {
    const { outcome, requests } = await run([problem(status, code, `detail of ${code}`)]);
    expect(outcome).toEqual({ kind: "rejected", status, code, message: `detail of ${code}` });
    expect(requests).toHaveLength(1);
  });

  it("takes a 402 as any other refusal: only a payment has a decline to retry for", async () => {
    const { outcome, requests } = await run([new Response("Payment Required", { status: 402 })]);
    expect(outcome).toEqual({ kind: "rejected", status: 402, code: null, message: "The request failed (HTTP 402)." });
    expect(requests).toHaveLength(1);
  });

  it("gives up after the last attempt and says the refund's outcome is unknown", async () => {
    const { outcome, requests } = await run(
      [problem(409, "idempotency_request_in_progress", "busy"), problem(409, "idempotency_request_in_progress", "busy")],
      2,
    );
    expect(outcome).toEqual({ kind: "unanswered", reason: "in_progress", message: "The refund is still being processed." });
    expect(requests).toHaveLength(2);
  });
});
