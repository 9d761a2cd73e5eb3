import { randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { db } from "@/server/db";
import { reconcileStuckKeys } from "@/server/ops/reconcile-stuck-keys";
import { crashAtCompletion, refuseRows } from "../helpers/db-faults";
import { loggedLines } from "../helpers/memory-log";
import { customer, pay, show, VALID_PAYMENT, type TestCustomer } from "../helpers/payments-api";
import { refund } from "../helpers/refunds-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";

// DESIGN.md §9.1: once Stripe has answered with an object, the outcome is recorded whatever
// fails afterwards. The faults are real: triggers in this file's PostgreSQL (db-faults.ts).

process.env.LOG_LEVEL = "info";
const LOCK_TIMEOUT_SECONDS = 5;
const stripe = startStripeEmulatorForFile({ lockTimeoutSeconds: LOCK_TIMEOUT_SECONDS });

// The real logger configuration, writing into memory: the operator's error line is part of
// the contract.
vi.mock("@/server/logger", async (importOriginal) => (await import("../helpers/memory-log")).loggerInMemory(await importOriginal()));
const lines = loggedLines;

const keyRow = (userId: string, key: string) => db().idempotencyKey.findUnique({ where: { userId_key: { userId, key } } });
const intentsOf = (userId: string) => stripe.emulator.paymentIntents({ metadata: { user_id: userId } });
const paymentRows = (userId: string) => db().payment.findMany({ where: { userId } });
const errorLinesNaming = (id: string) => lines.filter((l) => l.level === 50 && JSON.stringify(l).includes(id));

async function paid(who: TestCustomer) {
  const response = await pay(who);
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; paymentIntentId: string };
}

describe("the database refuses the payment row once", () => {
  it("records the fallback built from Stripe's fields: one PaymentIntent, one row, the key finished", async () => {
    const alice = await customer();
    const key = randomUUID();
    const fault = await refuseRows("payments", alice.id, { times: 1 });
    try {
      const response = await pay(alice, { key, body: { ...VALID_PAYMENT, description: "invoice 42" } });
      expect(response.status).toBe(201);
      const payment = await response.json();
      const [intent] = intentsOf(alice.id);
      expect(payment).toMatchObject({ paymentIntentId: intent!.id, status: "succeeded", description: null });
      expect(await paymentRows(alice.id)).toEqual([expect.objectContaining({ id: payment.id, stripePaymentIntentId: intent!.id })]);
      expect(await keyRow(alice.id, key)).toMatchObject({ recoveryPoint: "finished", responseStatus: 201, lockToken: null, stripeObjectId: intent!.id });
      expect(errorLinesNaming(intent!.id)).toHaveLength(1); // the refused first write is an operator's business

      const replay = await pay(alice, { key, body: { ...VALID_PAYMENT, description: "invoice 42" } });
      expect(replay.status).toBe(201);
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      expect(await replay.json()).toEqual(payment);
      expect(intentsOf(alice.id)).toHaveLength(1);
    } finally {
      await fault.remove();
    }
  });
});

describe("the database refuses the payment row until the fault is removed", () => {
  it("answers every retry definitely, naming the PaymentIntent, and npm run reconcile records it once the fault is gone", async () => {
    const alice = await customer();
    const key = randomUUID();
    const fault = await refuseRows("payments", alice.id);
    let intentId: string;
    try {
      const first = await pay(alice, { key });
      const [intent] = intentsOf(alice.id);
      intentId = intent!.id;
      expect(intent!.status).toBe("succeeded"); // the money moved
      expect(first.status).toBe(500);
      expect(first.headers.get("content-type")).toBe("application/problem+json");
      const problem = await first.json();
      expect(problem).toMatchObject({ code: "outcome_not_recorded", status: 500, stripeObjectId: intentId });
      expect(problem.detail).toContain(intentId);
      expect(errorLinesNaming(intentId).some((l) => String(l.msg).includes(intentId))).toBe(true);
      expect(await keyRow(alice.id, key)).toMatchObject({ recoveryPoint: "needs_reconciliation", lockToken: null, stripeObjectId: intentId });

      // Retries, even past the lock timeout, get the same definite answer: no 409, no new charge.
      await db().$executeRaw`UPDATE idempotency_keys SET created_at = now() - interval '1 hour' WHERE user_id = ${alice.id}::uuid`;
      for (let retry = 0; retry < 3; retry++) {
        const answer = await pay(alice, { key });
        expect(answer.status).toBe(500);
        expect(await answer.json()).toMatchObject({ code: "outcome_not_recorded", stripeObjectId: intentId });
      }
      expect(intentsOf(alice.id)).toHaveLength(1);
      expect(await paymentRows(alice.id)).toHaveLength(0);

      // While the fault lasts the reconciler cannot record it either, and says so.
      const stillFailing: unknown[] = [];
      expect(await reconcileStuckKeys({ onKey: (r) => stillFailing.push(r) })).toMatchObject({ recorded: 0, unresolved: 1 });
      expect(stillFailing).toEqual([expect.objectContaining({ outcome: "unresolved", stripeObjectId: intentId })]);
    } finally {
      await fault.remove();
    }

    // No flags: flagged keys are reconciled whatever their age.
    expect(await reconcileStuckKeys()).toEqual({ recorded: 1, forgotten: 0, skipped: 0, unresolved: 0 });
    const rows = await paymentRows(alice.id);
    expect(rows).toEqual([expect.objectContaining({ stripePaymentIntentId: intentId, status: "succeeded" })]);
    expect(await keyRow(alice.id, key)).toMatchObject({ recoveryPoint: "finished", responseStatus: 201 });

    const replay = await pay(alice, { key });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.json()).toMatchObject({ id: rows[0]!.id, paymentIntentId: intentId });
    expect((await show(alice, rows[0]!.id)).status).toBe(200);
    expect(await reconcileStuckKeys()).toEqual({ recorded: 0, forgotten: 0, skipped: 0, unresolved: 0 });
    expect(intentsOf(alice.id)).toHaveLength(1);
  });

  it("a decline is recorded the same way, as the 402 it was", async () => {
    const alice = await customer();
    const key = randomUUID();
    const body = { ...VALID_PAYMENT, paymentMethod: "pm_card_chargeDeclined" };
    const fault = await refuseRows("payments", alice.id);
    try {
      const first = await pay(alice, { key, body });
      expect(first.status).toBe(500);
      expect(await first.json()).toMatchObject({ code: "outcome_not_recorded", stripeObjectId: intentsOf(alice.id)[0]!.id });
    } finally {
      await fault.remove();
    }
    expect(await reconcileStuckKeys()).toMatchObject({ recorded: 1 });
    const replay = await pay(alice, { key, body });
    expect(replay.status).toBe(402);
    expect(await replay.json()).toMatchObject({ code: "card_declined", payment: { status: "failed" } });
    expect(await paymentRows(alice.id)).toEqual([expect.objectContaining({ status: "failed" })]);
  });
});

describe("refunds go through the same guarantee", () => {
  it("a refund row refused until the fault is removed is answered definitely, then reconciled once", async () => {
    const alice = await customer();
    const payment = await paid(alice);
    const key = randomUUID();
    const fault = await refuseRows("refunds", alice.id);
    let refundId: string;
    try {
      const first = await refund(alice, payment.id, { key, body: { amount: 1_000 } });
      const refunds = stripe.emulator.refunds({ payment_intent: payment.paymentIntentId });
      expect(refunds).toHaveLength(1);
      refundId = refunds[0]!.id;
      expect(first.status).toBe(500);
      expect(await first.json()).toMatchObject({ code: "outcome_not_recorded", stripeObjectId: refundId });
      const retry = await refund(alice, payment.id, { key, body: { amount: 1_000 } });
      expect(await retry.json()).toMatchObject({ code: "outcome_not_recorded", stripeObjectId: refundId });
    } finally {
      await fault.remove();
    }
    expect(await reconcileStuckKeys()).toMatchObject({ recorded: 1, unresolved: 0 });
    const rows = await db().refund.findMany({ where: { userId: alice.id } });
    expect(rows).toEqual([expect.objectContaining({ stripeRefundId: refundId, amount: 1_000 })]);
    expect(await db().payment.findFirstOrThrow({ where: { id: payment.id } })).toMatchObject({ amountRefunded: 1_000 });
    const replay = await refund(alice, payment.id, { key, body: { amount: 1_000 } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.json()).toMatchObject({ id: rows[0]!.id, stripeRefundId: refundId });
    expect(stripe.emulator.refunds({ payment_intent: payment.paymentIntentId })).toHaveLength(1);
  });

  it("a refund key left unfinished past the re-drive window is found by metadata and recorded", async () => {
    const alice = await customer();
    const payment = await paid(alice);
    const key = randomUUID();
    const crash = await crashAtCompletion(alice.id);
    try {
      const lost = await refund(alice, payment.id, { key, body: { amount: 700 } });
      expect(lost.status).toBe(503); // the database "went away" after Stripe refunded
    } finally {
      await crash.remove();
    }
    const [made] = stripe.emulator.refunds({ payment_intent: payment.paymentIntentId });
    const row = await keyRow(alice.id, key);
    expect(row).toMatchObject({ recoveryPoint: "started", stripeObjectId: null });
    expect(row!.lockToken).not.toBeNull();
    await db().$executeRaw`
      UPDATE idempotency_keys SET created_at = now() - interval '23.5 hours', locked_at = now() - interval '23.5 hours'
      WHERE id = ${row!.id}::uuid`;

    // Too old to re-drive: the client is told, not re-driven (Stripe may have forgotten the key).
    const early = await refund(alice, payment.id, { key, body: { amount: 700 } });
    expect(early.status).toBe(500);
    expect(await early.json()).toMatchObject({ code: "outcome_not_recorded", stripeObjectId: null });

    const results: unknown[] = [];
    expect(await reconcileStuckKeys({ onKey: (r) => results.push(r) })).toMatchObject({ recorded: 1, unresolved: 0 });
    expect(results).toEqual([{ keyId: row!.id, outcome: "recorded", stripeObjectId: made!.id }]);
    expect(await db().refund.findMany({ where: { userId: alice.id } })).toEqual([
      expect.objectContaining({ id: row!.id, stripeRefundId: made!.id, amount: 700 }),
    ]);
    const replay = await refund(alice, payment.id, { key, body: { amount: 700 } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(stripe.emulator.refunds({ payment_intent: payment.paymentIntentId })).toHaveLength(1);
  });
});

describe("a failure before Stripe is called", () => {
  it("stores nothing and charges nothing when the database refuses the claim's rate-limit count; the same key works once it is fixed", async () => {
    const alice = await customer();
    const key = randomUUID();
    // The rate limit is counted in the claim's own statement (key-store.ts claim): refusing its
    // row refuses the whole claim, so no key is left behind for the reconciler to find.
    const fault = await refuseRows("rate_limit_windows", alice.id);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const answer = await pay(alice, { key });
        expect(answer.status).toBe(500);
        expect(await answer.json()).toMatchObject({ code: "internal_error", retry: "same_key" });
        expect(await keyRow(alice.id, key)).toBeNull();
        expect(intentsOf(alice.id)).toHaveLength(0);
      }
    } finally {
      await fault.remove();
    }
    expect(await reconcileStuckKeys()).toMatchObject({ recorded: 0, forgotten: 0, unresolved: 0 });
    const fresh = await pay(alice, { key });
    expect(fresh.status).toBe(201);
    expect(intentsOf(alice.id)).toHaveLength(1);
  });
});
