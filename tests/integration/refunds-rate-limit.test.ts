import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { refundsPath } from "@/lib/routes";
import { db } from "@/server/db";
import { stripe as stripeClient } from "@/server/stripe";
import { customer, pay, type TestCustomer } from "../helpers/payments-api";
import { refund } from "../helpers/refunds-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";

// A low refund limit for this file only, read by env() on its first use.
const LIMIT = 5;
process.env.RATE_LIMIT_REFUNDS_PER_MINUTE = String(LIMIT);
startStripeEmulatorForFile();

/** Waits out the end of a clock minute, so that the whole test lands in one fixed window. */
async function awayFromMinuteBoundary() {
  const [{ ms }] = await db().$queryRaw<[{ ms: number }]>`
    SELECT (extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now()) * 1000)::int AS ms`;
  if (ms < 15_000) await new Promise((resolve) => setTimeout(resolve, ms + 100));
}

async function paidPayment(who: TestCustomer): Promise<{ id: string; paymentIntentId: string }> {
  const response = await pay(who);
  expect(response.status).toBe(201);
  return response.json();
}

const refundsAtStripe = async (paymentIntentId: string) =>
  (await stripeClient().refunds.list({ payment_intent: paymentIntentId, limit: 100 })).data;

describe("rate limit on refund creation", () => {
  it("lets exactly the limit of 35 concurrent refunds through, answers the rest 429, never counts replays, and counts each user apart", async () => {
    const [alice, bob] = await Promise.all([customer(), customer()]);
    const [alicesPayment, bobsPayment] = await Promise.all([paidPayment(alice), paidPayment(bob)]);
    await awayFromMinuteBoundary();

    // Bob refunds up to his own limit in the same burst: alice's refunds do not count against him.
    const keys = Array.from({ length: 35 }, () => randomUUID());
    const [alices, bobs] = await Promise.all([
      Promise.all(keys.map((key) => refund(alice, alicesPayment.id, { key, body: { amount: 1 } }))),
      Promise.all(Array.from({ length: LIMIT }, () => refund(bob, bobsPayment.id, { body: { amount: 1 } }))),
    ]);

    const created = alices.flatMap((response, i) => (response.status === 201 ? [keys[i]!] : []));
    const limited = alices.filter((response) => response.status === 429);
    expect(created).toHaveLength(LIMIT);
    expect(limited).toHaveLength(35 - LIMIT);
    for (const response of limited) {
      const retryAfter = Number(response.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({ status: 429, code: "rate_limited", limit: LIMIT });
    }
    expect(bobs.map((response) => response.status)).toEqual(Array(LIMIT).fill(201));

    // Stripe was asked only for the refunds that passed, and a refused key is not stored.
    expect(await refundsAtStripe(alicesPayment.paymentIntentId)).toHaveLength(LIMIT);
    expect(await refundsAtStripe(bobsPayment.paymentIntentId)).toHaveLength(LIMIT);
    expect(await db().idempotencyKey.count({ where: { userId: alice.id, path: refundsPath(alicesPayment.id) } })).toBe(LIMIT);

    // Over the limit, a retry of a completed refund is still answered, from the key, for free.
    const replay = await refund(alice, alicesPayment.id, { key: created[0]!, body: { amount: 1 } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    // ... while a new one is still refused: the window has not moved on.
    expect((await refund(alice, alicesPayment.id, { body: { amount: 1 } })).status).toBe(429);
    expect(await refundsAtStripe(alicesPayment.paymentIntentId)).toHaveLength(LIMIT);
  });
});
