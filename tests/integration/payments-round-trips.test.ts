import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createPayment } from "@/server/payments/create-payment";
import { createRefund } from "@/server/payments/create-refund";
import { handleStripeEvent } from "@/server/payments/handle-stripe-event";
import { createUser } from "../helpers/database";
import { VALID_PAYMENT } from "../helpers/payments-api";
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
  it("a new request costs 3 (claim, rate limit, complete) and a replay costs 1 (claim)", async () => {
    const user = await createUser();
    const key = randomUUID();
    const create = () => createPayment(user.id, key, VALID_PAYMENT, { requestId: "req_round_trips" });

    const first = await countStatements(create);
    expect(first).toHaveLength(3);
    expect(first[0]).toMatch(/^WITH inserted AS \( INSERT INTO idempotency_keys/);
    expect(first[1]).toMatch(/INSERT INTO rate_limit_windows/);
    expect(first[2]).toMatch(/^WITH completed AS \( UPDATE idempotency_keys/);

    const replay = await countStatements(create);
    expect(replay).toHaveLength(1);
    expect(replay[0]).toMatch(/^WITH inserted AS/);
  });

  it("a new refund costs 4 (claim, rate-limit counter, read the payment, complete), a webhook 2 (record, claim + apply)", async () => {
    const user = await createUser();
    const payment = JSON.parse((await createPayment(user.id, randomUUID(), VALID_PAYMENT, { requestId: "req_round_trips" })).body);
    const key = randomUUID();
    const refund = () => createRefund(user.id, payment.id, key, {});

    const first = await countStatements(refund);
    expect(first).toHaveLength(4);
    expect(first[0]).toMatch(/^WITH inserted AS \( INSERT INTO idempotency_keys/);
    expect(first[1]).toMatch(/INSERT INTO rate_limit_windows/);
    expect(first[2]).toMatch(/^SELECT "public"."payments"."id"/);
    expect(first[3]).toMatch(/^WITH completed AS \( UPDATE idempotency_keys/);
    expect(await countStatements(refund)).toHaveLength(1);

    const event = stripe.emulator.events({ type: "charge.refunded" }).find((e) => e.data.object.payment_intent === payment.paymentIntentId);
    const payload = JSON.stringify(event);
    const deliver = () => handleStripeEvent(payload, signature(payload));
    const delivered = await countStatements(deliver);
    expect(delivered).toHaveLength(2);
    expect(delivered[0]).toMatch(/^INSERT INTO webhook_events/);
    expect(delivered[1]).toMatch(/^WITH claimed AS \( UPDATE webhook_events/);
    expect(await countStatements(deliver)).toHaveLength(2);
  });
});
