import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db";
import { customer, pay, VALID_PAYMENT } from "../helpers/payments-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";

// Fewer connections than concurrent requests, and a low rate limit, for this file only.
process.env.DATABASE_POOL_SIZE = "2";
process.env.RATE_LIMIT_PAYMENTS_PER_MINUTE = "3";
const stripe = startStripeEmulatorForFile({ timeoutMs: 5_000, lockTimeoutSeconds: 10 });

describe("a slow Stripe does not exhaust the database pool", () => {
  it("completes 12 concurrent payments with 2 connections while Stripe takes 1 s each", async () => {
    const customers = await Promise.all(Array.from({ length: 4 }, () => customer()));
    stripe.emulator.setFaults({ latencyMs: 1_000 });
    // 12 × 1 s of Stripe over 2 connections would need 6 s of holding; the pool gives up after 3 s.
    const responses = await Promise.all(
      customers.flatMap((who) => Array.from({ length: 3 }, () => pay(who, { key: randomUUID() }))),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(201));
    expect(await db().payment.count({ where: { userId: { in: customers.map((c) => c.id) } } })).toBe(12);
  });
});

describe("rate limit on payment creation", () => {
  it("answers 429 + Retry-After over the limit, stores nothing, and never counts replays", async () => {
    const alice = await customer();
    const keys = [randomUUID(), randomUUID(), randomUUID()];
    for (const key of keys) expect((await pay(alice, { key })).status).toBe(201);

    const refusedKey = randomUUID();
    const refused = await pay(alice, { key: refusedKey });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ code: "rate_limited" });
    // Not stored: the key may be used again later, even with another body.
    expect(await db().idempotencyKey.findUnique({ where: { userId_key: { userId: alice.id, key: refusedKey } } })).toBeNull();

    for (const key of keys) {
      const replay = await pay(alice, { key });
      expect(replay.status).toBe(201);
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
    }
    expect(stripe.emulator.paymentIntents({ metadata: { user_id: alice.id } })).toHaveLength(3);
    expect((await pay(alice, { key: refusedKey, body: { ...VALID_PAYMENT, amount: 999 } })).status).toBe(429);
  });
});
