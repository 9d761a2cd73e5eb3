import { randomUUID } from "node:crypto";
import { Prisma } from "@prisma/client";
import { describe, expect, it } from "vitest";
import { GET as getKeyStatus } from "@/app/api/idempotency-keys/[key]/route";
import { idempotencyKeyPath, paymentPath, refundPath } from "@/lib/routes";
import { db } from "@/server/db";
import { lockOf } from "../helpers/key-lock";
import * as keys from "@/server/idempotency/key-store";
import { customer, pay, VALID_PAYMENT, type TestCustomer } from "../helpers/payments-api";
import { refund } from "../helpers/refunds-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";

startStripeEmulatorForFile();

const timings = { ttlSeconds: 86_400, lockTimeoutSeconds: 60 };

/** GET /api/idempotency-keys/{key} through the real route handler; `rawSegment` is sent as is. */
function keyStatus(who: TestCustomer | null, key: string, rawSegment?: string): Promise<Response> {
  const path = rawSegment === undefined ? idempotencyKeyPath(key) : `/api/idempotency-keys/${rawSegment}`;
  return getKeyStatus(new Request(`http://localhost${path}`, { headers: who?.headers ?? {} }), { params: Promise.resolve({ key }) });
}

const setRow = (user: TestCustomer, key: string, assignments: Prisma.Sql) =>
  db().$executeRaw(Prisma.sql`UPDATE idempotency_keys SET ${assignments} WHERE user_id = ${user.id}::uuid AND key = ${key}`);

describe("GET /api/idempotency-keys/{key}", () => {
  it("says a payment's key completed, with its status, the payment and the expiry its answer carried", async () => {
    const alice = await customer();
    const key = `order-${randomUUID()}`;
    const paid = await pay(alice, { key });
    expect(paid.status).toBe(201);
    const expires = paid.headers.get("idempotency-key-expires");
    expect(new Date(expires!).getTime()).toBeGreaterThan(Date.now() + 86_000_000); // a day, as an HTTP-date
    const payment = (await paid.json()) as { id: string };

    const response = await keyStatus(alice, key);
    expect(response.status).toBe(200);
    expect(response.headers.get("idempotency-key-expires")).toBe(expires);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      key,
      state: "completed",
      method: "POST",
      path: "/api/payments",
      createdAt: expect.any(String),
      completedAt: expect.any(String),
      expiresAt: expect.any(String),
      status: 201,
      resource: paymentPath(payment.id),
    });
    // The same instant, to the second an HTTP-date can say.
    expect(Math.floor(Date.parse(body.expiresAt as string) / 1000)).toBe(Date.parse(expires!) / 1000);
    // The replay carries the same expiry: the key's, not the request's.
    const replay = await pay(alice, { key });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("idempotency-key-expires")).toBe(expires);
  });

  it("points a declined payment's key at the failed payment, and a refund's key at the refund", async () => {
    const alice = await customer();
    const declinedKey = randomUUID();
    const declined = await pay(alice, { key: declinedKey, body: { ...VALID_PAYMENT, paymentMethod: "pm_card_chargeDeclined" } });
    expect(declined.status).toBe(402);
    expect(declined.headers.get("idempotency-key-expires")).toBeTruthy();
    const failed = ((await declined.json()) as { payment: { id: string } }).payment;
    expect(await (await keyStatus(alice, declinedKey)).json()).toMatchObject({ state: "completed", status: 402, resource: paymentPath(failed.id) });

    const payment = (await (await pay(alice)).json()) as { id: string };
    const refundKey = randomUUID();
    const refunded = await refund(alice, payment.id, { key: refundKey, body: { amount: 100 } });
    expect(refunded.status).toBe(201);
    expect(refunded.headers.get("idempotency-key-expires")).toBeTruthy();
    const made = (await refunded.json()) as { id: string };
    expect(await (await keyStatus(alice, refundKey)).json()).toMatchObject({
      state: "completed",
      path: `/api/payments/${payment.id}/refunds`,
      status: 201,
      resource: refundPath(payment.id, made.id),
    });
  });

  it("tells in progress from interrupted from awaiting reconciliation from expired, from the row's facts", async () => {
    const alice = await customer();
    const key = randomUUID();
    const scope = { userId: alice.id, key, method: "POST", path: "/api/payments", requestHash: "0".repeat(64) };
    const token = randomUUID();
    const row = { ...(await keys.claim(scope, timings, token))!, userId: alice.id };
    const state = async () => ((await (await keyStatus(alice, key)).json()) as { state: string }).state;

    expect(await state()).toBe("in_progress");
    await keys.release(lockOf(row, token));
    expect(await state()).toBe("interrupted"); // a retry with the same key finishes it
    await setRow(alice, key, Prisma.sql`created_at = now() - interval '23 hours 1 minute'`);
    expect(await state()).toBe("needs_reconciliation"); // too old to re-drive under Stripe's key window
    await setRow(alice, key, Prisma.sql`created_at = now()`);
    const retaken = randomUUID();
    expect(await keys.takeOver({ id: row.id, userId: row.userId, lockToken: null, recoveryPoint: "started" }, retaken, timings)).toBe(true);
    await keys.flagForReconciliation(lockOf(row, retaken), "pi_123");
    expect(await state()).toBe("needs_reconciliation");
    await setRow(alice, key, Prisma.sql`recovery_point = 'finished', response_status = 201, response_body = '{}'::json, completed_at = now()`);
    expect(await state()).toBe("completed");
    await setRow(alice, key, Prisma.sql`expires_at = now() - interval '1 second'`);
    expect(await state()).toBe("expired");
  });

  it("is 404 for a key never sent, and for another user's key exactly as for a missing one", async () => {
    const [alice, mallory] = [await customer(), await customer()];
    const key = randomUUID();
    await pay(alice, { key });
    const unknown = await keyStatus(alice, randomUUID());
    const foreign = await keyStatus(mallory, key);
    for (const response of [unknown, foreign]) {
      expect(response.status).toBe(404);
      expect(response.headers.get("idempotency-key-expires")).toBeNull();
      expect(await response.json()).toMatchObject({ code: "not_found", retry: "never", type: "/docs/errors#not_found" });
    }
    expect((await keyStatus(null, key)).status).toBe(401);
  });

  it("reads any key as one percent-encoded segment (commas included), a quoted key as the key, and refuses what is not a key", async () => {
    const alice = await customer();
    for (const key of ['a/b?c#d%e "f" g', "../../api-keys", "order,1001", "%2F", " spaced key "]) {
      const quoted = key.includes(",") ? `"${key}"` : key;
      expect((await pay(alice, { key: quoted })).status, key).toBe(201);
      const response = await keyStatus(alice, key);
      expect(response.status, key).toBe(200);
      // Surrounding spaces are not part of a key, in the header as in the path.
      expect(((await response.json()) as { key: string }).key).toBe(key.trim());
    }
    const quotedForm = await keyStatus(alice, "", encodeURIComponent('"order,1001"'));
    expect(quotedForm.status).toBe(200);
    for (const raw of ["%E0%A4%A", "%01", encodeURIComponent("x".repeat(256)), "%20%20", encodeURIComponent("\u00e9t\u00e9"), encodeURIComponent('""')]) {
      const response = await keyStatus(alice, "", raw);
      expect(response.status, raw).toBe(400);
      expect(await response.json()).toMatchObject({ code: "idempotency_key_invalid" });
    }
  });

  it("puts Idempotency-Key-Expires on the refusals that keep the key, never on those that store nothing", async () => {
    const alice = await customer();
    const key = randomUUID();
    await pay(alice, { key });
    const reused = await pay(alice, { key, body: { ...VALID_PAYMENT, amount: 9_999 } });
    expect(reused.status).toBe(422);
    expect(reused.headers.get("idempotency-key-expires")).toBeTruthy();

    const refusedKey = randomUUID();
    const refused = await pay(alice, { key: refusedKey, body: { ...VALID_PAYMENT, amount: 10 } });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("idempotency-key-expires")).toBeNull();
    expect((await keyStatus(alice, refusedKey)).status).toBe(404); // nothing stored: the key is free
  });
});
