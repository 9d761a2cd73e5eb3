import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db";
import { reconcileStuckKeys } from "@/server/ops/reconcile-stuck-keys";
import { crashAtCompletion } from "../helpers/db-faults";
import { customer, pay, VALID_PAYMENT, type TestCustomer } from "../helpers/payments-api";
import { refund } from "../helpers/refunds-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";

// The app against Stripe's failure semantics where they hurt (DESIGN.md §9.1, issue "Real
// Stripe"): stored 500s that Stripe replays for the same key, its rate limit, search lag.
// With stripe-node's own retries on, as in production: Stripe-Should-Retry decides what it repeats.
const stripe = startStripeEmulatorForFile({ maxNetworkRetries: 2, lockTimeoutSeconds: 30 });

const keyRow = (userId: string, key: string) => db().idempotencyKey.findUniqueOrThrow({ where: { userId_key: { userId, key } } });
const intentsOf = (userId: string) => stripe.emulator.paymentIntents({ metadata: { user_id: userId } });

async function paid(who: TestCustomer) {
  const response = await pay(who);
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; paymentIntentId: string };
}

describe("a 500 that Stripe stores under the key and replays", () => {
  it("before anything was made: the key's generation moves on and the retry pays once", async () => {
    const alice = await customer();
    const key = randomUUID();
    stripe.emulator.setFaults({ failStoredNext: 1 });

    const first = await pay(alice, { key });
    expect(first.status).toBe(503);
    expect(await first.json()).toMatchObject({ code: "payment_provider_unavailable" });
    expect(intentsOf(alice.id)).toHaveLength(0);
    const retired = await keyRow(alice.id, key);
    expect(retired).toMatchObject({ recoveryPoint: "started", lockToken: null, stripeKeyGeneration: 1 });

    const retry = await pay(alice, { key });
    expect(retry.status).toBe(201);
    const payment = await retry.json();
    const intents = intentsOf(alice.id);
    expect(intents.map((i) => i.id)).toEqual([payment.paymentIntentId]);
    expect(await keyRow(alice.id, key)).toMatchObject({ id: retired.id, recoveryPoint: "finished", stripeKeyGeneration: 1 });

    const replay = await pay(alice, { key });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(intentsOf(alice.id)).toHaveLength(1);
  });

  it("after the intent was made: the intent is found and adopted, never made twice", async () => {
    const alice = await customer();
    const key = randomUUID();
    stripe.emulator.setFaults({ failStoredAfterProcessNext: 1 });

    const first = await pay(alice, { key });
    expect(first.status).toBe(201);
    const payment = await first.json();
    const [intent] = intentsOf(alice.id);
    expect(payment).toMatchObject({ paymentIntentId: intent!.id, status: "succeeded" });
    expect(await keyRow(alice.id, key)).toMatchObject({ recoveryPoint: "finished", stripeKeyGeneration: 0, stripeObjectId: intent!.id });
    expect(await db().payment.count({ where: { userId: alice.id } })).toBe(1);
    expect((await pay(alice, { key })).headers.get("idempotent-replayed")).toBe("true");
    expect(intentsOf(alice.id)).toHaveLength(1);
  });

  it("a decline made before the stored 500 is adopted as the 402 it was", async () => {
    const alice = await customer();
    const key = randomUUID();
    const body = { ...VALID_PAYMENT, paymentMethod: "pm_card_chargeDeclined" };
    stripe.emulator.setFaults({ failStoredAfterProcessNext: 1 });
    const first = await pay(alice, { key, body });
    expect(first.status).toBe(402);
    expect(await first.json()).toMatchObject({ code: "card_declined", declineCode: "generic_decline", payment: { status: "failed" } });
    expect(intentsOf(alice.id)).toHaveLength(1);
  });

  it("retries until the stored failures stop end with one PaymentIntent and a final answer", async () => {
    const alice = await customer();
    const key = randomUUID();
    stripe.emulator.setFaults({ failStoredNext: 3 });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6 && statuses.at(-1) !== 201; attempt++) statuses.push((await pay(alice, { key })).status);
    // The counters are spent by whichever requests come first, the engine's lookups included.
    expect(statuses.at(-1)).toBe(201);
    expect(statuses.slice(0, -1).every((status) => status === 503)).toBe(true);
    expect(intentsOf(alice.id)).toHaveLength(1);
    const finished = await keyRow(alice.id, key);
    expect(finished.recoveryPoint).toBe("finished");
    expect(finished.stripeKeyGeneration).toBeGreaterThanOrEqual(1);
  });

  it("refunds: a stored 500 moves the refund key on; one stored after the refund adopts it", async () => {
    const alice = await customer();
    const payment = await paid(alice);
    const refundsAtStripe = () => stripe.emulator.refunds({ payment_intent: payment.paymentIntentId });

    const key = randomUUID();
    stripe.emulator.setFaults({ failStoredNext: 1, pathPrefix: "/v1/refunds" });
    expect((await refund(alice, payment.id, { key, body: { amount: 500 } })).status).toBe(503);
    expect(refundsAtStripe()).toHaveLength(0);
    const retried = await refund(alice, payment.id, { key, body: { amount: 500 } });
    expect(retried.status).toBe(201);
    expect(refundsAtStripe()).toHaveLength(1);

    const adoptedKey = randomUUID();
    stripe.emulator.setFaults({ failStoredAfterProcessNext: 1, pathPrefix: "/v1/refunds" });
    const adopted = await refund(alice, payment.id, { key: adoptedKey, body: { amount: 700 } });
    expect(adopted.status).toBe(201);
    const made = refundsAtStripe();
    expect(made.map((r) => r.amount).sort()).toEqual([500, 700]);
    expect(await adopted.json()).toMatchObject({ amount: 700, stripeRefundId: made.find((r) => r.amount === 700)!.id });
    expect(await db().payment.findFirstOrThrow({ where: { id: payment.id } })).toMatchObject({ amountRefunded: 1_200 });
  });
});

describe("Stripe's rate limit", () => {
  it("a burst over it is answered 503 + Retry-After, the keys released, and the retries pay each payment once", async () => {
    const alice = await customer();
    const keys = Array.from({ length: 12 }, () => randomUUID());
    stripe.emulator.setFaults({ rateLimitPerSecond: 4 });

    const first = await Promise.all(keys.map((key) => pay(alice, { key })));
    const limited = first.filter((r) => r.status === 503);
    expect(limited.length).toBeGreaterThan(0);
    expect(first.every((r) => r.status === 201 || r.status === 503)).toBe(true);
    for (const response of limited) {
      expect(response.headers.get("retry-after")).toBe("2"); // Stripe sends none: ours
      expect(await response.json()).toMatchObject({ code: "payment_provider_unavailable" });
    }

    // Each refused key retried with the same key, a bounded number of times, a second apart.
    let pending = keys.filter((_, index) => first[index]!.status === 503);
    for (let round = 0; round < 10 && pending.length > 0; round++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const answers = await Promise.all(pending.map((key) => pay(alice, { key })));
      pending = pending.filter((_, index) => answers[index]!.status !== 201);
    }
    expect(pending).toEqual([]);
    expect(intentsOf(alice.id)).toHaveLength(keys.length);
    expect(await db().payment.count({ where: { userId: alice.id } })).toBe(keys.length);
  });
});

describe("search that lags", () => {
  it("does not make the reconciler forget a key whose request charged: it looks up by list", async () => {
    const alice = await customer();
    const key = randomUUID();
    stripe.emulator.setFaults({ searchLagMs: 10 * 60_000 });
    const crash = await crashAtCompletion(alice.id, { times: 1 });
    try {
      expect((await pay(alice, { key })).status).toBe(503);
    } finally {
      await crash.remove();
    }
    const [intent] = intentsOf(alice.id);
    await db().$executeRaw`
      UPDATE idempotency_keys SET created_at = now() - interval '23.5 hours', locked_at = now() - interval '23.5 hours'
      WHERE user_id = ${alice.id}::uuid AND key = ${key}`;

    const results: unknown[] = [];
    await reconcileStuckKeys({ onKey: (r) => results.push(r) });
    expect(results).toContainEqual(expect.objectContaining({ outcome: "recorded", stripeObjectId: intent!.id }));
    expect(await db().payment.count({ where: { userId: alice.id, stripePaymentIntentId: intent!.id } })).toBe(1);
  });
});
