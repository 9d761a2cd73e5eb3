import { describe, expect, it } from "vitest";
import { memoryStorage } from "../../../tests/helpers/browser-seams";
import {
  refundAttemptFor,
  refundAttemptStore,
  refundAttemptToResume,
  refundStorageKey,
  settleRefundAttempt,
  type RefundAttempt,
} from "./refund-attempt";
import type { RefundOutcome } from "./submit-refund";

const PAYMENT_ID = "6f1c2a4e-0000-4000-8000-000000000001";
const NOW = new Date("2026-11-25T12:00:00Z");
const ATTEMPT: RefundAttempt = { key: "old-key", request: { amount: 1_000 }, state: "sending", startedAt: "2026-11-25T11:59:00.000Z" };


describe("refundAttemptStore", () => {
  it("keeps one attempt per payment, written through, so that a reload finds the same key", () => {
    const storage = memoryStorage();
    refundAttemptStore(storage, PAYMENT_ID).write(ATTEMPT);
    expect(refundAttemptStore(storage, PAYMENT_ID).read()).toEqual(ATTEMPT);
    expect(refundAttemptStore(storage, "another-payment").read()).toBeNull();

    refundAttemptStore(storage, PAYMENT_ID).write(null);
    expect(storage.items.size).toBe(0);
    expect(refundAttemptStore(storage, PAYMENT_ID).read()).toBeNull();
  });

  it.each([
    ["not JSON", "{"],
    ["another shape", JSON.stringify({ key: "k" })],
    ["a request the server would refuse", JSON.stringify({ ...ATTEMPT, request: { amount: -1 } })],
    ["a request with unknown fields", JSON.stringify({ ...ATTEMPT, request: { amount: 1, currency: "eur" } })],
  ])("ignores stored data that is %s", (_what, raw) => {
    expect(refundAttemptStore(memoryStorage({ [refundStorageKey(PAYMENT_ID)]: raw }), PAYMENT_ID).read()).toBeNull();
  });

  it("keeps working in memory when storage is missing or throws", () => {
    const broken = {
      getItem: (): string | null => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
      removeItem: () => {
        throw new Error("SecurityError");
      },
    };
    for (const storage of [broken, null]) {
      const store = refundAttemptStore(storage, PAYMENT_ID);
      store.write(ATTEMPT);
      expect(store.read()).toEqual(ATTEMPT);
      store.write(null);
      expect(store.read()).toBeNull();
    }
  });
});

describe("refundAttemptFor", () => {
  it("starts a refund with a new key", () => {
    expect(refundAttemptFor(null, { amount: 500 }, () => "fresh", NOW)).toEqual({
      key: "fresh",
      request: { amount: 500 },
      state: "sending",
      startedAt: NOW.toISOString(),
    });
  });

  it("reuses the key of an unfinished attempt for exactly the same refund", () => {
    const unresolved = { ...ATTEMPT, state: "unresolved" as const };
    expect(refundAttemptFor(unresolved, { amount: 1_000 }, () => "fresh", NOW)).toEqual(ATTEMPT);
  });

  it.each([
    ["amount", { amount: 900 }],
    ["reason", { amount: 1_000, reason: "duplicate" as const }],
    ["the whole remainder", {}],
  ])("takes a new key when the %s changed", (_what, request) => {
    expect(refundAttemptFor(ATTEMPT, request, () => "fresh", NOW)).toMatchObject({ key: "fresh", request });
  });
});

describe("settleRefundAttempt", () => {
  it.each<[string, RefundOutcome]>([
    ["the refund", { kind: "refund", refund: { id: "r", paymentId: PAYMENT_ID, amount: 1_000, status: "succeeded", stripeRefundId: "re_1", createdAt: "" }, replayed: true }],
    ["an amount above what is left", { kind: "rejected", status: 400, code: "refund_exceeds_remaining", message: "too much", amountRemaining: 0 }],
    ["a payment that cannot be refunded", { kind: "rejected", status: 400, code: "payment_not_refundable", message: "no" }],
    ["a reused key", { kind: "rejected", status: 422, code: "idempotency_key_reused", message: "reused" }],
  ])("ends the attempt after %s", (_what, outcome) => {
    expect(settleRefundAttempt(ATTEMPT, outcome)).toBeNull();
  });

  it.each<[string, RefundOutcome]>([
    ["no answer after every retry", { kind: "unanswered", reason: "network", message: "offline" }],
    ["an ended session", { kind: "rejected", status: 401, code: "unauthorized", message: "sign in" }],
    ["a rate limit", { kind: "rejected", status: 429, code: "rate_limited", message: "slow down" }],
    ["a refund made but not recorded yet", { kind: "rejected", status: 500, code: "outcome_not_recorded", message: "later" }],
    ["an answer that is not one of the API's", { kind: "rejected", status: 403, code: null, message: "proxy" }],
  ])("keeps the key after %s, for the next click to find out what happened", (_what, outcome) => {
    expect(settleRefundAttempt(ATTEMPT, outcome)).toEqual({ ...ATTEMPT, state: "unresolved" });
  });
});

describe("refundAttemptToResume", () => {
  it("resumes a refund that was in flight shortly before the reload", () => {
    expect(refundAttemptToResume(ATTEMPT, NOW)).toEqual(ATTEMPT);
  });

  it.each([
    ["no attempt", null],
    ["an unresolved attempt", { ...ATTEMPT, state: "unresolved" as const }],
    ["an attempt from hours ago", { ...ATTEMPT, startedAt: "2026-11-25T09:00:00.000Z" }],
    ["an attempt from the future", { ...ATTEMPT, startedAt: "2026-11-25T12:05:00.000Z" }],
  ])("leaves %s to a click", (_what, attempt) => {
    expect(refundAttemptToResume(attempt, NOW)).toBeNull();
  });
});
