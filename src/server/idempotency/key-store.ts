import "server-only";
import { randomUUID } from "node:crypto";
import { Prisma } from "@prisma/client";
import { SpanKind } from "@opentelemetry/api";
import { sqlCount, sqlRows } from "@/server/db";
import { COUNTED_COLUMNS, countedWindow } from "@/server/rate-limit";
import { withSpan } from "@/server/tracing/with-span";

/**
 * Every SQL statement on `idempotency_keys`, each one round trip and one atomic step of a
 * key's life (docs/decisions/005-key-states.md). Clock comparisons use PostgreSQL's `now()`,
 * the one clock every app instance shares. Writes to a row we own are fenced by our
 * `lock_token`: a request whose lock was taken over changes nothing. Each statement runs in
 * its own span (`idempotency.claim`, …), a child of the request's.
 */

export type RecoveryPoint = "started" | "finished" | "needs_reconciliation";

/** What the engine reads of a key row: its stored facts, and clock checks made by PostgreSQL. */
export type KeyRow = {
  id: string;
  requestHash: string;
  lockToken: string | null;
  recoveryPoint: RecoveryPoint;
  responseStatus: number | null;
  /** Exact text of the stored response body (`json` column read as text). */
  responseBody: string | null;
  /** The Stripe object the request produced (pi_…, re_…), once Stripe has answered. */
  stripeObjectId: string | null;
  /** Generation of the derived Stripe idempotency key (see advanceStripeKeyGeneration). */
  stripeKeyGeneration: number;
  /** Unix seconds, as Stripe counts time: objects of this request were created after it. */
  createdAt: number;
  /** True when this claim created the row. */
  inserted: boolean;
  /** When a finished key stops being replayed (`expires_at`); a new request may then reuse it. */
  expiresAt: Date;
  /** Past `expires_at`. */
  expired: boolean;
  /** Locked, and the lock is younger than the lock timeout: its owner is presumably alive. */
  lockHeld: boolean;
  /** Older than Stripe's own key window: re-driving could charge again, so reconcile instead. */
  tooOldToRedrive: boolean;
  /** When this claim counted a new request (`countAs`): the rate-limit window's count, with it; else null. */
  rateCount: number | null;
  /** Seconds to the next rate-limit window, with rateCount. */
  rateRetryAfter: number | null;
};

/**
 * A key row this request holds the lock of. Every statement on a row names its user as well as
 * its id: the table's primary key is (user_id, id), so that a database distributed by
 * `user_id` routes each statement to one shard (docs/SCALING.md).
 */
export type KeyLock = { userId: string; keyId: string; lockToken: string };

/** A keyed request: the row it claims is unique per (user, key). */
export type KeyScope = { userId: string; key: string; method: string; path: string; requestHash: string };

export type KeyTimings = { ttlSeconds: number; lockTimeoutSeconds: number };

/** The final answer of a keyed request, and the domain rows that go with it. */
export type Completion = {
  status: number;
  /** Exact JSON text, replayed byte for byte. */
  body: string;
  /** The Stripe object the answer is about, kept on the row (webhooks check it). */
  stripeObjectId: string | null;
  /** The domain write (one statement), given the completed key row to select from: `id, user_id`. */
  write?: DomainWrite;
};

/** A statement writing the domain rows of a completed key; `keyRow` names a relation with the key's `id, user_id`. */
export type DomainWrite = (keyRow: Prisma.Sql) => Prisma.Sql;

/** Stripe keeps idempotency keys at least 24 h; leave an hour of margin before re-driving. */
export const REDRIVE_WINDOW_HOURS = 23;

const STATEMENT_ATTRIBUTES = { "db.system.name": "postgresql", "db.collection.name": "idempotency_keys" };

/** Runs one statement in a span of its own (`idempotency.<name>`), under the request's. */
function statement<T>(name: string, run: () => Promise<T>): Promise<T> {
  return withSpan(`idempotency.${name}`, run, { kind: SpanKind.CLIENT, attributes: STATEMENT_ATTRIBUTES });
}

/** The fence of every write to a row we hold: its user and id (the primary key), and our lock token. */
const held = (lock: KeyLock) =>
  Prisma.sql`user_id = ${lock.userId}::uuid AND id = ${lock.keyId}::uuid AND lock_token = ${lock.lockToken}::uuid`;

const lockIsFresh = (timings: KeyTimings) =>
  Prisma.sql`(lock_token IS NOT NULL AND locked_at > now() - make_interval(secs => ${timings.lockTimeoutSeconds}::float8))`;

/**
 * Claim: return the row that already holds (user, key), or insert the key locked by us.
 * The insert is tried only when this statement's snapshot holds no row, so a replay reads
 * one index entry and writes nothing; `ON CONFLICT DO NOTHING` makes concurrent claims of a
 * new key race safely: one inserts, the others find nothing, not even in their snapshot, and
 * get null: claim again (that row was committed after this statement's snapshot).
 * With `countAs`, a row this claim inserts is also counted against that rate limit
 * (rate-limit.ts), in the same statement: a replay or a lost race counts nothing.
 */
export async function claim(scope: KeyScope, timings: KeyTimings, lockToken: string, countAs?: string): Promise<KeyRow | null> {
  const rows = await statement("claim", () => sqlRows<KeyRow[]>(Prisma.sql`
    WITH existing AS (
      SELECT * FROM idempotency_keys WHERE user_id = ${scope.userId}::uuid AND key = ${scope.key}
    ), inserted AS (
      INSERT INTO idempotency_keys
        (id, user_id, key, method, path, request_hash, lock_token, locked_at, recovery_point, expires_at)
      SELECT
        ${randomUUID()}::uuid, ${scope.userId}::uuid, ${scope.key}, ${scope.method}, ${scope.path},
        ${scope.requestHash}, ${lockToken}::uuid, now(), 'started'::recovery_point,
        now() + make_interval(secs => ${timings.ttlSeconds}::float8)
      WHERE NOT EXISTS (SELECT 1 FROM existing)
      ON CONFLICT (user_id, key) DO NOTHING
      RETURNING *
    ), candidate AS (
      SELECT *, true AS inserted FROM inserted
      UNION ALL
      SELECT *, false AS inserted FROM existing
    )${countAs ? Prisma.sql`, ${countedWindow(scope.userId, countAs, Prisma.sql`inserted`)}` : Prisma.empty}
    SELECT id::text AS "id", request_hash AS "requestHash", lock_token::text AS "lockToken",
      recovery_point::text AS "recoveryPoint", response_status AS "responseStatus",
      response_body::text AS "responseBody", stripe_object_id AS "stripeObjectId",
      stripe_key_generation AS "stripeKeyGeneration", floor(extract(epoch FROM created_at))::int AS "createdAt", inserted,
      expires_at AS "expiresAt", expires_at <= now() AS "expired",
      ${lockIsFresh(timings)} AS "lockHeld",
      created_at < now() - make_interval(hours => ${REDRIVE_WINDOW_HOURS}) AS "tooOldToRedrive",
      ${countAs ? COUNTED_COLUMNS : Prisma.sql`NULL::int AS "rateCount", NULL::int AS "rateRetryAfter"`}
    FROM candidate`));
  return rows[0] ?? null;
}

/**
 * Take over: lock an unfinished row whose owner released it or died (its lock is older than
 * the lock timeout), if it is still as we observed it. Compare-and-set on the lock token *and*
 * the recovery point: of several takers exactly one wins, and a row flagged for reconciliation
 * after we looked is not re-driven.
 */
export async function takeOver(
  observed: Pick<KeyRow, "id" | "lockToken" | "recoveryPoint"> & { userId: string },
  lockToken: string,
  timings: KeyTimings,
): Promise<boolean> {
  const taken = await statement("take_over", () => sqlCount(Prisma.sql`
    UPDATE idempotency_keys SET lock_token = ${lockToken}::uuid, locked_at = now()
    WHERE user_id = ${observed.userId}::uuid AND id = ${observed.id}::uuid
      AND recovery_point = ${observed.recoveryPoint}::recovery_point AND recovery_point <> 'finished'
      AND lock_token IS NOT DISTINCT FROM ${observed.lockToken}::uuid
      AND NOT ${lockIsFresh(timings)}`));
  return taken === 1;
}

/**
 * Replace expired: a finished key past its TTL starts a new request. Delete the old row and
 * insert a new one locked by us (new id, hence a new Stripe idempotency key) in one
 * statement, so no other request sees the key missing in between. Unfinished rows are never
 * replaced: their request may have charged, and only re-driving or reconciling tells.
 * Returns the new row's id and expiry, or null if another request changed the row first.
 */
export async function replaceExpired(
  oldKeyId: string,
  scope: KeyScope,
  timings: KeyTimings,
  lockToken: string,
): Promise<Pick<KeyRow, "id" | "expiresAt"> | null> {
  const rows = await statement("replace_expired", () => sqlRows<Pick<KeyRow, "id" | "expiresAt">[]>(Prisma.sql`
    WITH gone AS (
      DELETE FROM idempotency_keys
      WHERE user_id = ${scope.userId}::uuid AND id = ${oldKeyId}::uuid AND recovery_point = 'finished' AND expires_at <= now()
      RETURNING user_id, key
    )
    INSERT INTO idempotency_keys
      (id, user_id, key, method, path, request_hash, lock_token, locked_at, recovery_point, expires_at)
    SELECT ${randomUUID()}::uuid, user_id, key, ${scope.method}, ${scope.path}, ${scope.requestHash},
      ${lockToken}::uuid, now(), 'started', now() + make_interval(secs => ${timings.ttlSeconds}::float8)
    FROM gone
    RETURNING id::text AS id, expires_at AS "expiresAt"`));
  return rows[0] ?? null;
}

/**
 * Complete: store the final answer, write the domain rows, mark the key finished and unlock,
 * in one statement (so one transaction), only while we hold the lock. False if fenced out.
 */
export async function complete(lock: KeyLock, completion: Completion): Promise<boolean> {
  const rows = await statement("complete", () => sqlRows<{ completed: number }[]>(Prisma.sql`
    WITH completed AS (
      UPDATE idempotency_keys
      SET recovery_point = 'finished', response_status = ${completion.status}, response_body = ${completion.body}::json,
          stripe_object_id = ${completion.stripeObjectId}, lock_token = NULL, locked_at = NULL, completed_at = now()
      WHERE ${held(lock)}
      RETURNING id, user_id
    )${completion.write ? Prisma.sql`, written AS (${completion.write(Prisma.raw("completed"))})` : Prisma.empty}
    SELECT count(*)::int AS completed FROM completed`));
  return rows[0]?.completed === 1;
}

/**
 * Retire the derived Stripe key: Stripe stored a failure under it (it replays a stored 500
 * for 24 h) and holds no object for this request, so the next attempt uses the next
 * generation. Fenced by our lock; returns the new generation, or null if fenced out.
 */
export async function advanceStripeKeyGeneration(lock: KeyLock): Promise<number | null> {
  const rows = await statement("advance_stripe_key_generation", () => sqlRows<{ generation: number }[]>(Prisma.sql`
    UPDATE idempotency_keys SET stripe_key_generation = stripe_key_generation + 1
    WHERE ${held(lock)}
    RETURNING stripe_key_generation AS generation`));
  return rows[0]?.generation ?? null;
}

/**
 * Release after a transient failure: unlock and store nothing, so the next retry (or the
 * reconciler) takes the row over and repeats the Stripe call under the same Stripe key.
 */
export async function release(lock: KeyLock): Promise<void> {
  await statement("release", () => sqlCount(Prisma.sql`
    UPDATE idempotency_keys SET lock_token = NULL, locked_at = NULL
    WHERE ${held(lock)}`));
}

/**
 * Forget a key that provably caused nothing (refused before Stripe, or Stripe holds no
 * object for it): delete the row, so the key is as if never used and may carry any body.
 */
export async function forget(lock: KeyLock): Promise<void> {
  await statement("forget", () => sqlCount(Prisma.sql`
    DELETE FROM idempotency_keys
    WHERE ${held(lock)} AND recovery_point <> 'finished'`));
}

/**
 * Flag for reconciliation: the outcome could not be recorded, or the request failed in a way
 * no retry fixes. Unlock and wait for `npm run reconcile`; retries are answered, not re-driven.
 * Keeps a Stripe object id already known. False if fenced out.
 */
export async function flagForReconciliation(lock: KeyLock, stripeObjectId: string | null): Promise<boolean> {
  const flagged = await statement("flag_for_reconciliation", () => sqlCount(Prisma.sql`
    UPDATE idempotency_keys
    SET recovery_point = 'needs_reconciliation', stripe_object_id = COALESCE(${stripeObjectId}, stripe_object_id),
        lock_token = NULL, locked_at = NULL
    WHERE ${held(lock)}`));
  return flagged === 1;
}

/**
 * SQL (a subquery yielding `id, user_id`, at most one row) for the key row that vouches for a
 * Stripe object named in a webhook: the row `keyId` of that user and keyed path, which
 * produced this object or none yet (`stripe_object_id` is set on completion and on flagging).
 * Webhooks trust an object's metadata only through such a row (DESIGN.md §9.1).
 */
export function keyRowVouchingFor(
  claimed: { keyId: string | null; userId: Prisma.Sql; path: Prisma.Sql },
  stripeObjectId: string,
): Prisma.Sql {
  return Prisma.sql`
    SELECT k.id, k.user_id FROM idempotency_keys k
    WHERE k.id = ${claimed.keyId}::uuid AND k.user_id = ${claimed.userId} AND k.path = ${claimed.path}
      AND (k.stripe_object_id IS NULL OR k.stripe_object_id = ${stripeObjectId})`;
}

/** An unfinished key as the reconciler sees it. */
export type UnfinishedKey = Pick<KeyRow, "id" | "lockToken" | "recoveryPoint" | "stripeObjectId" | "createdAt"> & {
  userId: string;
  path: string;
};

/**
 * Keys the reconciler should resolve, oldest first: every flagged key, and every other
 * unfinished key older than `olderThanSeconds` (no client retry is coming, or re-driving is
 * no longer safe); in both cases only if no live request holds it.
 */
export async function listUnfinished(options: { olderThanSeconds: number; limit: number }, timings: KeyTimings): Promise<UnfinishedKey[]> {
  return statement("list_unfinished", () => sqlRows<UnfinishedKey[]>(Prisma.sql`
    SELECT id::text AS id, user_id::text AS "userId", path, lock_token::text AS "lockToken",
      recovery_point::text AS "recoveryPoint", stripe_object_id AS "stripeObjectId",
      floor(extract(epoch FROM created_at))::int AS "createdAt"
    FROM idempotency_keys
    WHERE recovery_point <> 'finished' AND NOT ${lockIsFresh(timings)}
      AND (recovery_point = 'needs_reconciliation'
        OR created_at <= now() - make_interval(secs => ${options.olderThanSeconds}::float8))
    ORDER BY created_at
    LIMIT ${options.limit}`));
}

/**
 * Cleanup: delete up to `batchSize` finished keys past their TTL. Unfinished keys are never
 * deleted: they may stand for money that moved, and only the reconciler may decide.
 * `SKIP LOCKED` lets several cleanups and live requests replacing an expired key run at once.
 */
export async function deleteExpired(batchSize: number): Promise<number> {
  return statement("delete_expired", () => sqlCount(Prisma.sql`
    WITH doomed AS (
      SELECT user_id, id FROM idempotency_keys
      WHERE expires_at <= now() AND recovery_point = 'finished'
      ORDER BY expires_at
      LIMIT ${batchSize}
      FOR UPDATE SKIP LOCKED
    )
    DELETE FROM idempotency_keys AS k USING doomed WHERE k.user_id = doomed.user_id AND k.id = doomed.id`));
}

/** How many keys a cleanup may delete now. */
export async function countExpired(): Promise<number> {
  const [row] = await statement("count_expired", () => sqlRows<{ count: number }[]>(Prisma.sql`
    SELECT count(*)::int AS count FROM idempotency_keys WHERE expires_at <= now() AND recovery_point = 'finished'`));
  return row?.count ?? 0;
}

/** A key as its owner may see it (GET /api/idempotency-keys/{key}): facts, never the stored body. */
export type KeyStatusRow = {
  key: string;
  method: string;
  path: string;
  recoveryPoint: RecoveryPoint;
  responseStatus: number | null;
  createdAt: Date;
  completedAt: Date | null;
  expiresAt: Date;
  expired: boolean;
  lockHeld: boolean;
  tooOldToRedrive: boolean;
  /** The payment or refund the key created (its id is the key row's), if one is recorded. */
  paymentId: string | null;
  refundId: string | null;
  refundPaymentId: string | null;
};

/** Status: `userId`'s row for `key` with the payment or refund it produced, or null. One statement. */
export async function keyStatus(userId: string, key: string, timings: KeyTimings): Promise<KeyStatusRow | null> {
  const rows = await statement("status", () => sqlRows<KeyStatusRow[]>(Prisma.sql`
    SELECT k.key, k.method, k.path, k.recovery_point::text AS "recoveryPoint", k.response_status AS "responseStatus",
      k.created_at AS "createdAt", k.completed_at AS "completedAt", k.expires_at AS "expiresAt",
      k.expires_at <= now() AS "expired", ${lockIsFresh(timings)} AS "lockHeld",
      k.created_at < now() - make_interval(hours => ${REDRIVE_WINDOW_HOURS}) AS "tooOldToRedrive",
      p.id::text AS "paymentId", r.id::text AS "refundId", r.payment_id::text AS "refundPaymentId"
    FROM idempotency_keys k
    LEFT JOIN payments p ON p.user_id = k.user_id AND p.idempotency_key_id = k.id
    LEFT JOIN refunds r ON r.user_id = k.user_id AND r.idempotency_key_id = k.id
    WHERE k.user_id = ${userId}::uuid AND k.key = ${key}`));
  return rows[0] ?? null;
}
