import { randomUUID } from "node:crypto";
import { Prisma } from "@prisma/client";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db";
import { createUser } from "../../../tests/helpers/database";
import { lockOf } from "../../../tests/helpers/key-lock";
import * as keys from "./key-store";

// Each statement of the key store against the real PostgreSQL of this file: the compare-and-
// set conditions are what keep two instances from both owning a key.

const timings = { ttlSeconds: 3_600, lockTimeoutSeconds: 5 };

async function scopeFor(body = "a") {
  const user = await createUser();
  return { userId: user.id, key: randomUUID(), method: "POST", path: "/api/payments", requestHash: body.repeat(64) };
}

/** The claimed row with its user: every statement on a row names both (the primary key). */
async function claimed(scope: keys.KeyScope) {
  const token = randomUUID();
  const row = await keys.claim(scope, timings, token);
  if (!row) throw new Error("claim found nothing");
  return { row: { ...row, userId: scope.userId }, token };
}

const set = (id: string, assignments: Prisma.Sql) => db().$executeRaw(Prisma.sql`UPDATE idempotency_keys SET ${assignments} WHERE id = ${id}::uuid`);
const stored = (id: string) => db().idempotencyKey.findFirst({ where: { id } });
const completion = { status: 201, body: '{"ok":true}', stripeObjectId: "pi_123" };

describe("claim", () => {
  it("inserts the key locked by us, then returns that row to the next claim with its clock checks", async () => {
    const scope = await scopeFor();
    const { row, token } = await claimed(scope);
    expect(row).toMatchObject({ inserted: true, lockToken: token, recoveryPoint: "started", lockHeld: true, expired: false, tooOldToRedrive: false });
    const again = await keys.claim(scope, timings, randomUUID());
    expect(again).toMatchObject({ id: row.id, inserted: false, lockToken: token, lockHeld: true });

    await set(row.id, Prisma.sql`locked_at = now() - interval '6 seconds', expires_at = now(), created_at = now() - interval '23 hours 1 minute'`);
    expect(await keys.claim(scope, timings, randomUUID())).toMatchObject({ lockHeld: false, expired: true, tooOldToRedrive: true });
  });

  it("lets exactly one of many concurrent claims insert", async () => {
    const scope = await scopeFor();
    const rows = await Promise.all(Array.from({ length: 20 }, () => keys.claim(scope, timings, randomUUID())));
    expect(rows.filter((r) => r?.inserted)).toHaveLength(1);
    expect(await db().idempotencyKey.count({ where: { userId: scope.userId } })).toBe(1);
  });
});

describe("takeOver", () => {
  it("takes a released row, exactly once among concurrent takers", async () => {
    const { row, token } = await claimed(await scopeFor());
    await keys.release(lockOf(row, token));
    const observed = { id: row.id, userId: row.userId, lockToken: null, recoveryPoint: "started" as const };
    const wins = await Promise.all(Array.from({ length: 10 }, () => keys.takeOver(observed, randomUUID(), timings)));
    expect(wins.filter(Boolean)).toHaveLength(1);
  });

  it("takes a stale lock, never a fresh one", async () => {
    const { row, token } = await claimed(await scopeFor());
    const observed = { id: row.id, userId: row.userId, lockToken: token, recoveryPoint: "started" as const };
    expect(await keys.takeOver(observed, randomUUID(), timings)).toBe(false);
    await set(row.id, Prisma.sql`locked_at = now() - interval '6 seconds'`);
    expect(await keys.takeOver(observed, randomUUID(), timings)).toBe(true);
  });

  it("refuses a row whose recovery point changed since it was observed (flagged meanwhile), and finished rows", async () => {
    const { row, token } = await claimed(await scopeFor());
    await keys.flagForReconciliation(lockOf(row, token), null);
    // Observed as released and started; flagged since: the request must not re-drive it.
    expect(await keys.takeOver({ id: row.id, userId: row.userId, lockToken: null, recoveryPoint: "started" }, randomUUID(), timings)).toBe(false);
    const reconciler = randomUUID();
    expect(await keys.takeOver({ id: row.id, userId: row.userId, lockToken: null, recoveryPoint: "needs_reconciliation" }, reconciler, timings)).toBe(true);
    expect(await keys.complete(lockOf(row, reconciler), completion)).toBe(true);
    expect(await keys.takeOver({ id: row.id, userId: row.userId, lockToken: null, recoveryPoint: "finished" }, randomUUID(), timings)).toBe(false);
  });
});

describe("complete", () => {
  it("stores the answer, the Stripe object and the domain rows, and unlocks — only for the lock holder", async () => {
    const { row, token } = await claimed(await scopeFor());
    const write = (keyRow: Prisma.Sql) =>
      Prisma.sql`INSERT INTO webhook_events (id, type) SELECT 'evt_' || ${keyRow}.id, 'test' FROM ${keyRow} RETURNING id`;
    expect(await keys.complete(lockOf(row, randomUUID()), { ...completion, write })).toBe(false);
    expect(await db().webhookEvent.count({ where: { id: `evt_${row.id}` } })).toBe(0);
    expect(await keys.complete(lockOf(row, token), { ...completion, write })).toBe(true);
    expect(await stored(row.id)).toMatchObject({ recoveryPoint: "finished", responseStatus: 201, responseBody: { ok: true }, stripeObjectId: "pi_123", lockToken: null });
    expect(await db().webhookEvent.count({ where: { id: `evt_${row.id}` } })).toBe(1);
  });

  it("writes nothing when the domain write is refused: the whole statement rolls back", async () => {
    const { row, token } = await claimed(await scopeFor());
    const refused = (keyRow: Prisma.Sql) => Prisma.sql`INSERT INTO webhook_events (id, type) SELECT NULL, 'test' FROM ${keyRow} RETURNING id`;
    await expect(keys.complete(lockOf(row, token), { ...completion, write: refused })).rejects.toThrow(/null value|23502/);
    expect(await stored(row.id)).toMatchObject({ recoveryPoint: "started", lockToken: token, responseStatus: null });
  });
});

describe("release, forget, flag", () => {
  it("release unlocks and keeps the recovery point; forget deletes only unfinished rows of the lock holder", async () => {
    const { row, token } = await claimed(await scopeFor());
    await keys.forget(lockOf(row, randomUUID()));
    expect(await stored(row.id)).not.toBeNull();
    await keys.release(lockOf(row, token));
    expect(await stored(row.id)).toMatchObject({ recoveryPoint: "started", lockToken: null, lockedAt: null });

    const again = await claimed(await scopeFor());
    expect(await keys.complete(lockOf(again.row, again.token), completion)).toBe(true);
    await keys.forget(lockOf(again.row, again.token));
    expect(await stored(again.row.id)).toMatchObject({ recoveryPoint: "finished" });
  });

  it("flag keeps a Stripe object already known and is fenced by the lock", async () => {
    const { row, token } = await claimed(await scopeFor());
    expect(await keys.flagForReconciliation(lockOf(row, randomUUID()), "pi_other")).toBe(false);
    expect(await keys.flagForReconciliation(lockOf(row, token), "pi_known")).toBe(true);
    const reconciler = randomUUID();
    await keys.takeOver({ id: row.id, userId: row.userId, lockToken: null, recoveryPoint: "needs_reconciliation" }, reconciler, timings);
    expect(await keys.flagForReconciliation(lockOf(row, reconciler), null)).toBe(true);
    expect(await stored(row.id)).toMatchObject({ recoveryPoint: "needs_reconciliation", stripeObjectId: "pi_known", lockToken: null });
  });
});

describe("advanceStripeKeyGeneration", () => {
  it("moves the derived key on by one, only for the lock holder", async () => {
    const { row, token } = await claimed(await scopeFor());
    expect(row.stripeKeyGeneration).toBe(0);
    expect(await keys.advanceStripeKeyGeneration(lockOf(row, randomUUID()))).toBeNull();
    expect(await keys.advanceStripeKeyGeneration(lockOf(row, token))).toBe(1);
    expect(await keys.advanceStripeKeyGeneration(lockOf(row, token))).toBe(2);
    expect(await stored(row.id)).toMatchObject({ stripeKeyGeneration: 2 });
  });
});

describe("replaceExpired", () => {
  it("replaces a finished key past its TTL by a new row, never an unfinished or a live one", async () => {
    const scope = await scopeFor();
    const { row, token } = await claimed(scope);
    expect(await keys.replaceExpired(row.id, scope, timings, randomUUID())).toBeNull(); // unfinished
    await keys.complete(lockOf(row, token), completion);
    expect(await keys.replaceExpired(row.id, scope, timings, randomUUID())).toBeNull(); // live
    await set(row.id, Prisma.sql`expires_at = now() - interval '1 second'`);
    const [first, second] = await Promise.all([
      keys.replaceExpired(row.id, scope, timings, randomUUID()),
      keys.replaceExpired(row.id, scope, timings, randomUUID()),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    const replaced = (first ?? second)!;
    const newId = replaced.id;
    expect(newId).not.toBe(row.id);
    // A new TTL from now: the old row's had passed.
    expect(replaced.expiresAt.getTime()).toBeGreaterThan(Date.now() + (timings.ttlSeconds - 60) * 1000);
    expect(await stored(newId)).toMatchObject({ recoveryPoint: "started", key: scope.key });
    expect(await stored(row.id)).toBeNull();
  });

  it("leaves an expired unfinished key alone: its request may have charged", async () => {
    const scope = await scopeFor();
    const { row, token } = await claimed(scope);
    await keys.release(lockOf(row, token));
    await set(row.id, Prisma.sql`expires_at = now() - interval '1 second'`);
    expect(await keys.replaceExpired(row.id, scope, timings, randomUUID())).toBeNull();
    expect(await stored(row.id)).toMatchObject({ recoveryPoint: "started" });
  });
});

describe("listUnfinished and deleteExpired", () => {
  it("list flagged keys of any age and old unfinished ones nobody holds; cleanup deletes only finished ones", async () => {
    const flagged = await claimed(await scopeFor());
    await keys.flagForReconciliation(lockOf(flagged.row, flagged.token), "pi_flagged");
    const old = await claimed(await scopeFor());
    await keys.release(lockOf(old.row, old.token));
    await set(old.row.id, Prisma.sql`created_at = now() - interval '2 hours', expires_at = now() - interval '1 second'`);
    const young = await claimed(await scopeFor());
    await keys.release(lockOf(young.row, young.token));
    const live = await claimed(await scopeFor());
    await set(live.row.id, Prisma.sql`created_at = now() - interval '2 hours'`);
    const done = await claimed(await scopeFor());
    await keys.complete(lockOf(done.row, done.token), completion);
    await set(done.row.id, Prisma.sql`created_at = now() - interval '2 hours', expires_at = now() - interval '1 second'`);

    const listed = await keys.listUnfinished({ olderThanSeconds: 3_600, limit: 100 }, timings);
    const ids = listed.map((k) => k.id);
    expect(ids).toEqual(expect.arrayContaining([flagged.row.id, old.row.id]));
    expect(ids).not.toContain(young.row.id);
    expect(ids).not.toContain(live.row.id);
    expect(ids).not.toContain(done.row.id);
    expect(listed.find((k) => k.id === flagged.row.id)).toMatchObject({ recoveryPoint: "needs_reconciliation", stripeObjectId: "pi_flagged", path: "/api/payments" });

    expect(await keys.countExpired()).toBeGreaterThanOrEqual(1);
    await keys.deleteExpired(1_000);
    expect(await stored(done.row.id)).toBeNull();
    expect(await stored(old.row.id)).not.toBeNull();
  });
});
