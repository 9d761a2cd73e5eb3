import { randomUUID } from "node:crypto";
import { Prisma } from "@prisma/client";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db";
import { createUser } from "../helpers/database";

// PostgreSQL refuses what breaks an invariant, whichever code path writes it (migration
// 20261130210000_database_guards): every statement here is a raw write that the app never
// makes, and each must fail on the named constraint.

async function paymentOf(userId: string, amount = 2_500) {
  return db().payment.create({
    data: { userId, amount, currency: "eur", status: "succeeded", stripePaymentIntentId: `pi_guard_${randomUUID().replaceAll("-", "")}` },
  });
}

const refusal = (statement: Prisma.Sql) =>
  db()
    .$executeRaw(statement)
    .then(
      () => expect.fail("PostgreSQL accepted it"),
      (error: unknown) => String(error),
    );

describe("the database guards itself", () => {
  it.each<[string, (ids: { userId: string; paymentId: string }) => Prisma.Sql, string]>([
    ["a payment of zero", ({ paymentId }) => Prisma.sql`UPDATE payments SET amount = 0 WHERE id = ${paymentId}::uuid`, "payments_amount_positive"],
    ["an upper-case currency", ({ paymentId }) => Prisma.sql`UPDATE payments SET currency = 'EUR' WHERE id = ${paymentId}::uuid`, "payments_currency_code"],
    ["more refunded than paid", ({ paymentId }) => Prisma.sql`UPDATE payments SET amount_refunded = 2501 WHERE id = ${paymentId}::uuid`, "payments_amount_refunded_range"],
    ["a negative refunded amount", ({ paymentId }) => Prisma.sql`UPDATE payments SET amount_refunded = -1 WHERE id = ${paymentId}::uuid`, "payments_amount_refunded_range"],
    ["a dispute status without its id", ({ paymentId }) => Prisma.sql`UPDATE payments SET dispute_status = 'lost' WHERE id = ${paymentId}::uuid`, "payments_dispute_whole"],
    [
      "a refund of zero",
      ({ userId, paymentId }) =>
        Prisma.sql`INSERT INTO refunds (id, payment_id, user_id, amount, status, stripe_refund_id, updated_at)
          VALUES (gen_random_uuid(), ${paymentId}::uuid, ${userId}::uuid, 0, 'succeeded', 're_guard_zero', now())`,
      "refunds_amount_positive",
    ],
    [
      "a refund status Stripe does not have",
      ({ userId, paymentId }) =>
        Prisma.sql`INSERT INTO refunds (id, payment_id, user_id, amount, status, stripe_refund_id, updated_at)
          VALUES (gen_random_uuid(), ${paymentId}::uuid, ${userId}::uuid, 100, 'refunded', 're_guard_status', now())`,
      "refund_status",
    ],
    [
      "a finished key without its answer",
      ({ userId }) =>
        Prisma.sql`INSERT INTO idempotency_keys (id, user_id, key, method, path, request_hash, recovery_point, expires_at)
          VALUES (gen_random_uuid(), ${userId}::uuid, ${randomUUID()}, 'POST', '/api/payments', repeat('a', 64), 'finished', now() + interval '1 day')`,
      "idempotency_keys_finished_has_response",
    ],
    [
      "a stored status that is not HTTP",
      ({ userId }) =>
        Prisma.sql`INSERT INTO idempotency_keys (id, user_id, key, method, path, request_hash, recovery_point, response_status, response_body, expires_at)
          VALUES (gen_random_uuid(), ${userId}::uuid, ${randomUUID()}, 'POST', '/api/payments', repeat('a', 64), 'finished', 999, '{}', now() + interval '1 day')`,
      "idempotency_keys_response_status_range",
    ],
    [
      "a fingerprint that is not SHA-256 hex",
      ({ userId }) =>
        Prisma.sql`INSERT INTO idempotency_keys (id, user_id, key, method, path, request_hash, expires_at)
          VALUES (gen_random_uuid(), ${userId}::uuid, ${randomUUID()}, 'POST', '/api/payments', repeat('Z', 64), now() + interval '1 day')`,
      "idempotency_keys_request_hash_hex",
    ],
    [
      "a lock token without its time",
      ({ userId }) =>
        Prisma.sql`INSERT INTO idempotency_keys (id, user_id, key, method, path, request_hash, lock_token, expires_at)
          VALUES (gen_random_uuid(), ${userId}::uuid, ${randomUUID()}, 'POST', '/api/payments', repeat('a', 64), gen_random_uuid(), now() + interval '1 day')`,
      "idempotency_keys_lock_whole",
    ],
    [
      "a Stripe key generation past its bound",
      ({ userId }) =>
        Prisma.sql`INSERT INTO idempotency_keys (id, user_id, key, method, path, request_hash, stripe_key_generation, expires_at)
          VALUES (gen_random_uuid(), ${userId}::uuid, ${randomUUID()}, 'POST', '/api/payments', repeat('a', 64), 101, now() + interval '1 day')`,
      "idempotency_keys_stripe_key_generation_range",
    ],
    [
      "an API key hash that is not SHA-256 hex",
      ({ userId }) =>
        Prisma.sql`INSERT INTO api_keys (id, user_id, name, prefix, hash) VALUES (gen_random_uuid(), ${userId}::uuid, 'k', 'ipk_', 'plaintext-secret')`,
      "api_keys_hash_hex",
    ],
  ])("refuses %s", async (_name, statement, constraint) => {
    const user = await createUser();
    const payment = await paymentOf(user.id);
    expect(await refusal(statement({ userId: user.id, paymentId: payment.id }))).toContain(constraint);
    expect(await db().payment.findFirstOrThrow({ where: { id: payment.id } })).toMatchObject({ amount: 2_500, currency: "eur", amountRefunded: 0 });
  });

  it("keeps the refunded totals from the refund rows, whoever writes them", async () => {
    const user = await createUser();
    const payment = await paymentOf(user.id);
    const refund = (amount: number, status: string) =>
      db().$executeRaw`INSERT INTO refunds (id, payment_id, user_id, amount, status, stripe_refund_id, updated_at)
        VALUES (gen_random_uuid(), ${payment.id}::uuid, ${user.id}::uuid, ${amount}, ${status}::refund_status, ${`re_${randomUUID()}`}, now())`;
    await refund(1_000, "succeeded");
    await refund(500, "pending");
    await refund(700, "failed");
    expect(await db().payment.findFirstOrThrow({ where: { id: payment.id } })).toMatchObject({ amountRefunded: 1_500, amountRefundFailed: 700 });
    await db().$executeRaw`UPDATE refunds SET status = 'failed' WHERE payment_id = ${payment.id}::uuid AND amount = 1000`;
    expect(await db().payment.findFirstOrThrow({ where: { id: payment.id } })).toMatchObject({ amountRefunded: 500, amountRefundFailed: 1_700 });
    // More refunded than paid is refused by the payment's own CHECK, through the trigger.
    expect(await refusal(Prisma.sql`INSERT INTO refunds (id, payment_id, user_id, amount, status, stripe_refund_id, updated_at)
      VALUES (gen_random_uuid(), ${payment.id}::uuid, ${user.id}::uuid, 2500, 'succeeded', 're_too_much', now())`)).toContain(
      "payments_amount_refunded_range",
    );
  });
});

// Migration 20261201120000_shard_ready_by_user: every per-user table's keys carry user_id, so
// rows that belong together are one user's, which a database distributed by user_id needs
// (they live on one node) and this one now checks.
describe("rows that belong together are one user's", () => {
  const keyRowOf = async (userId: string) => {
    const id = randomUUID();
    await db().$executeRaw`INSERT INTO idempotency_keys (id, user_id, key, method, path, request_hash, expires_at)
      VALUES (${id}::uuid, ${userId}::uuid, ${randomUUID()}, 'POST', '/api/payments', repeat('a', 64), now() + interval '1 day')`;
    return id;
  };
  const refundRow = (userId: string, paymentId: string, amount: number, keyId: string | null = null) =>
    Prisma.sql`INSERT INTO refunds (id, payment_id, user_id, amount, status, stripe_refund_id, idempotency_key_id, updated_at)
      VALUES (gen_random_uuid(), ${paymentId}::uuid, ${userId}::uuid, ${amount}, 'succeeded', ${`re_${randomUUID()}`}, ${keyId}::uuid, now())`;

  it("refuses a refund of another user's payment, and rows naming another user's key row", async () => {
    const [alice, mallory] = [await createUser(), await createUser()];
    const alicesPayment = await paymentOf(alice.id);
    expect(await refusal(refundRow(mallory.id, alicesPayment.id, 100))).toContain("refunds_payment_fkey");
    const alicesKey = await keyRowOf(alice.id);
    const mallorysPayment = await paymentOf(mallory.id);
    expect(await refusal(Prisma.sql`UPDATE payments SET idempotency_key_id = ${alicesKey}::uuid WHERE id = ${mallorysPayment.id}::uuid`)).toContain(
      "payments_idempotency_key_fkey",
    );
    expect(await refusal(refundRow(mallory.id, mallorysPayment.id, 100, alicesKey))).toContain("refunds_idempotency_key_fkey");
    expect(await db().payment.findFirstOrThrow({ where: { id: alicesPayment.id } })).toMatchObject({ amountRefunded: 0 });
  });

  it("clears only the key reference when a key row is cleaned up, and deletes a payment's refunds with it", async () => {
    const user = await createUser();
    const keyId = await keyRowOf(user.id);
    const payment = await paymentOf(user.id);
    await db().$executeRaw`UPDATE payments SET idempotency_key_id = ${keyId}::uuid WHERE id = ${payment.id}::uuid`;
    await db().$executeRaw(refundRow(user.id, payment.id, 100, keyId));
    await db().$executeRaw`DELETE FROM idempotency_keys WHERE user_id = ${user.id}::uuid AND id = ${keyId}::uuid`;
    expect(await db().payment.findFirstOrThrow({ where: { id: payment.id } })).toMatchObject({ userId: user.id, idempotencyKeyId: null });
    expect(await db().refund.findMany({ where: { paymentId: payment.id } })).toMatchObject([{ userId: user.id, idempotencyKeyId: null, amount: 100 }]);
    await db().$executeRaw`DELETE FROM payments WHERE user_id = ${user.id}::uuid AND id = ${payment.id}::uuid`;
    expect(await db().refund.count({ where: { paymentId: payment.id } })).toBe(0);
  });

  it("keeps each user's refunded total from that user's refunds, even when two payments share an id", async () => {
    const [alice, bob] = [await createUser(), await createUser()];
    const alicesPayment = await paymentOf(alice.id);
    // Ids are unique per user only: a distributed database cannot check more. Two users' rows
    // under one id (never made by the app: ids are random UUIDs) must still not mix.
    await db().$executeRaw`INSERT INTO payments (id, user_id, amount, currency, status, stripe_payment_intent_id, updated_at)
      VALUES (${alicesPayment.id}::uuid, ${bob.id}::uuid, 4000, 'eur', 'succeeded', ${`pi_${randomUUID()}`}, now())`;
    await db().$executeRaw(refundRow(bob.id, alicesPayment.id, 3_000));
    await db().$executeRaw(refundRow(alice.id, alicesPayment.id, 200));
    expect(await db().payment.findFirstOrThrow({ where: { id: alicesPayment.id, userId: alice.id } })).toMatchObject({ amountRefunded: 200 });
    expect(await db().payment.findFirstOrThrow({ where: { id: alicesPayment.id, userId: bob.id } })).toMatchObject({ amountRefunded: 3_000 });
  });
});
