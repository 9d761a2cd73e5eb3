import { describe, expect, it } from "vitest";
import type { TolerantPaymentResponse } from "../schemas/payment-response";
import { attemptToResume, newAttempt, reusableAttempt, settleAttempt, type PaymentAttempt } from "./payment-attempt";
import type { PaymentOutcome } from "./submit-payment";

const REQUEST = { amount: 2_500, currency: "eur", confirmationToken: "ctoken_1" } as const;
const TERMS = { amount: 2_500, currency: "eur" } as const;
const NOW = new Date("2026-11-25T12:00:00Z");

const PAYMENT = { id: "p", status: "succeeded", amount: 2_500, currency: "eur" } as TolerantPaymentResponse;

function unresolved(request = REQUEST): PaymentAttempt {
  return { key: "old-key", request, state: "unresolved", startedAt: "2026-11-25T11:59:00.000Z" };
}

describe("newAttempt", () => {
  it("starts a payment with its own key and exactly this request", () => {
    expect(newAttempt(REQUEST, "fresh", NOW)).toEqual({ key: "fresh", request: REQUEST, state: "sending", startedAt: NOW.toISOString() });
  });
});

describe("reusableAttempt", () => {
  it("is nothing when there is no attempt", () => {
    expect(reusableAttempt(null, REQUEST)).toBeNull();
  });

  it("is the unfinished attempt, key and card token included, for exactly the same payment", () => {
    expect(reusableAttempt(unresolved(), { amount: 2_500, currency: "eur" })).toEqual({ ...unresolved(), state: "sending" });
  });

  it.each([
    ["amount", { ...TERMS, amount: 2_600 }],
    ["currency", { ...TERMS, currency: "usd" as const }],
    ["description", { ...TERMS, description: "Order 7" }],
  ])("is nothing when the %s changed: a new payment takes a new key", (_what, terms) => {
    expect(reusableAttempt(unresolved(), terms)).toBeNull();
  });
});

describe("settleAttempt", () => {
  const sending: PaymentAttempt = { ...unresolved(), state: "sending" };

  it.each<[string, PaymentOutcome]>([
    ["a payment (201)", { kind: "payment", payment: PAYMENT, replayed: false }],
    ["a replayed payment", { kind: "payment", payment: { ...PAYMENT, status: "requires_action" }, replayed: true }],
    ["a decline (402)", { kind: "declined", payment: null, declineCode: "generic_decline", message: "declined", replayed: false }],
    ["an invalid request (400)", { kind: "rejected", status: 400, code: "invalid_request", message: "bad" }],
    ["a reused key (422)", { kind: "rejected", status: 422, code: "idempotency_key_reused", message: "reused" }],
    ["a payment that is not there (404)", { kind: "rejected", status: 404, code: "not_found", message: "gone" }],
  ])("ends the attempt after %s: the next Pay is a new payment", (_what, outcome) => {
    expect(settleAttempt(sending, outcome)).toBeNull();
  });

  it.each<[string, PaymentOutcome]>([
    ["no answer after every retry", { kind: "unanswered", reason: "network", message: "offline" }],
    ["a rate limit (429)", { kind: "rejected", status: 429, code: "rate_limited", message: "slow down" }],
    ["an expired session (401)", { kind: "rejected", status: 401, code: "unauthorized", message: "sign in" }],
    ["a payment processed but not recorded yet (500)", { kind: "rejected", status: 500, code: "outcome_not_recorded", message: "pi_1" }],
    ["a refusal under another status, by its code", { kind: "rejected", status: 403, code: "unauthorized", message: "sign in" }],
    ["an answer that is not the API's (a proxy's 403 page)", { kind: "rejected", status: 403, code: null, message: "HTTP 403" }],
    ["a 4xx with a code of a later release", { kind: "rejected", status: 400, code: null, message: "new rule" }],
  ])("keeps the key after %s", (_what, outcome) => {
    expect(settleAttempt(sending, outcome)).toEqual({ ...sending, state: "unresolved" });
  });
});

describe("attemptToResume", () => {
  const sending: PaymentAttempt = { ...unresolved(), state: "sending", startedAt: "2026-11-25T11:58:00.000Z" };

  it("resumes a payment that a reload interrupted a moment ago", () => {
    expect(attemptToResume(sending, NOW)).toEqual(sending);
  });

  it("does not resume an attempt that is not in flight", () => {
    expect(attemptToResume(null, NOW)).toBeNull();
    expect(attemptToResume(unresolved(), NOW)).toBeNull();
  });

  it("waits for a click when the tab comes back much later", () => {
    expect(attemptToResume({ ...sending, startedAt: "2026-11-25T11:40:00.000Z" }, NOW)).toBeNull();
    expect(attemptToResume({ ...sending, startedAt: "not a date" }, NOW)).toBeNull();
  });
});
