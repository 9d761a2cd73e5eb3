import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { db } from "@/server/db";
import { createPayment } from "@/server/payments/create-payment";
import { createRefund } from "@/server/payments/create-refund";
import { handleStripeEvent } from "@/server/payments/handle-stripe-event";
import { createUser } from "../helpers/database";
import { customer, pay, VALID_PAYMENT } from "../helpers/payments-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";
import { signature } from "../helpers/stripe-webhooks";

const stripe = startStripeEmulatorForFile();

// Every statement Prisma's pg adapter sends outside a transaction is one Pool#query call,
// i.e. one network round trip to PostgreSQL: count them around the engine.
const statements: string[] = [];
const originalQuery = pg.Pool.prototype.query;
pg.Pool.prototype.query = function (this: pg.Pool, ...args: unknown[]) {
  const first = args[0];
  statements.push(typeof first === "string" ? first : ((first as { text?: string })?.text ?? "?"));
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof originalQuery;
afterAll(() => {
  pg.Pool.prototype.query = originalQuery;
});

async function countStatements(work: () => Promise<unknown>): Promise<string[]> {
  statements.length = 0;
  await work();
  return statements.map((sql) => sql.replace(/\s+/g, " ").trim().slice(0, 60));
}

describe("database round trips of the engine (DESIGN.md §4 targets)", () => {
  it("a new payment costs 3 counting authentication (API key and user, claim and rate-limit count, complete) and a replay 2", async () => {
    const alice = await customer();
    await pay(alice); // the key's first use of the minute records last_used_at; later ones only read
    const key = randomUUID();
    const first = await countStatements(async () => expect((await pay(alice, { key })).status).toBe(201));
    expect(first).toHaveLength(3);
    expect(first[0]).toMatch(/^WITH active AS \( SELECT user_id, id FROM api_keys/);
    expect(first[1]).toMatch(/^WITH existing AS \( SELECT \* FROM idempotency_keys/);
    expect(first[2]).toMatch(/^WITH completed AS \( UPDATE idempotency_keys/);

    const replay = await countStatements(async () => expect((await pay(alice, { key })).headers.get("idempotent-replayed")).toBe("true"));
    expect(replay).toHaveLength(2);
    expect(replay[1]).toMatch(/^WITH existing AS/);
  });

  it("the claim counts the new request against the rate limit in its own statement; a replay counts nothing", async () => {
    const user = await createUser();
    const key = randomUUID();
    const create = () => createPayment(user.id, key, VALID_PAYMENT, { requestId: "req_round_trips" });
    const windows = () => db().$queryRaw<{ count: number }[]>`SELECT count FROM rate_limit_windows WHERE user_id = ${user.id}::uuid`;
    const first = await countStatements(create);
    expect(first).toHaveLength(2);
    expect(statements.join("\n")).toMatch(/INSERT INTO rate_limit_windows/);
    expect(await windows()).toEqual([{ count: 1 }]);
    expect(await countStatements(create)).toHaveLength(1);
    expect(await windows()).toEqual([{ count: 1 }]);
  });

  it("a new refund costs 3 (claim with the rate-limit count, read the payment, complete), a webhook 2 (record, claim + apply), 3 for a refund's (its user first)", async () => {
    const user = await createUser();
    const payment = JSON.parse((await createPayment(user.id, randomUUID(), VALID_PAYMENT, { requestId: "req_round_trips" })).body);
    const key = randomUUID();
    const refund = () => createRefund(user.id, payment.id, key, {});

    const first = await countStatements(refund);
    expect(first).toHaveLength(3);
    expect(first[0]).toMatch(/^WITH existing AS \( SELECT \* FROM idempotency_keys/);
    expect(first[1]).toMatch(/^SELECT "public"."payments"\./);
    expect(first[2]).toMatch(/^WITH completed AS \( UPDATE idempotency_keys/);
    expect(await countStatements(refund)).toHaveLength(1);

    const event = stripe.emulator.events({ type: "charge.refunded" }).find((e) => e.data.object.payment_intent === payment.paymentIntentId);
    const payload = JSON.stringify(event);
    const deliver = () => handleStripeEvent(payload, signature(payload));
    const delivered = await countStatements(deliver);
    expect(delivered).toHaveLength(2);
    expect(delivered[0]).toMatch(/^INSERT INTO webhook_events/);
    expect(delivered[1]).toMatch(/^WITH claimed AS \( UPDATE webhook_events/);
    expect(await countStatements(deliver)).toHaveLength(2);

    // A refund names only its PaymentIntent: the user is read first, by it (handle-stripe-event.ts ownerOf).
    const created = stripe.emulator.events({ type: "refund.created" }).find((e) => e.data.object.payment_intent === payment.paymentIntentId);
    const refundPayload = JSON.stringify(created);
    const refundDelivered = await countStatements(() => handleStripeEvent(refundPayload, signature(refundPayload)));
    expect(refundDelivered).toHaveLength(3);
    expect(refundDelivered[0]).toMatch(/^SELECT user_id::text AS "userId" FROM payments WHERE/);
    expect(refundDelivered[1]).toMatch(/^INSERT INTO webhook_events/);
    expect(refundDelivered[2]).toMatch(/^WITH claimed AS \( UPDATE webhook_events/);
  });
});
