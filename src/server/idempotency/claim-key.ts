import "server-only";
import { randomUUID } from "node:crypto";
import { Prisma } from "@prisma/client";
import { db } from "@/server/db";
import { REDRIVE_WINDOW_HOURS, type KeyRow, type KeyScope, type KeyTimings } from "./key-row";

/**
 * Phase 1, one round trip: insert the key locked by us, or — if (user, key) exists — return
 * the existing row. `ON CONFLICT DO NOTHING` makes concurrent claims race safely: exactly
 * one inserts, the others read the winner's row. Returns null in the rare case where the
 * conflicting row was committed after this statement's snapshot: the caller claims again.
 */
export async function claimKey(scope: KeyScope, timings: KeyTimings, lockToken: string): Promise<KeyRow | null> {
  const rows = await db().$queryRaw<KeyRow[]>(Prisma.sql`
    WITH inserted AS (
      INSERT INTO idempotency_keys
        (id, user_id, key, method, path, request_hash, lock_token, locked_at, recovery_point, expires_at)
      VALUES (
        ${randomUUID()}::uuid, ${scope.userId}::uuid, ${scope.key}, ${scope.method}, ${scope.path},
        ${scope.requestHash}, ${lockToken}::uuid, now(), 'started',
        now() + make_interval(secs => ${timings.ttlSeconds}::float8)
      )
      ON CONFLICT (user_id, key) DO NOTHING
      RETURNING *
    ), candidate AS (
      SELECT *, true AS inserted FROM inserted
      UNION ALL
      SELECT *, false AS inserted FROM idempotency_keys
      WHERE user_id = ${scope.userId}::uuid AND key = ${scope.key} AND NOT EXISTS (SELECT 1 FROM inserted)
    )
    ${selectKeyRow(timings)} FROM candidate`);
  return rows[0] ?? null;
}

/** The KeyRow projection; clock comparisons use the database's clock, shared by all instances. */
export function selectKeyRow(timings: KeyTimings): Prisma.Sql {
  return Prisma.sql`
    SELECT id::text AS "id", request_hash AS "requestHash", lock_token::text AS "lockToken",
      recovery_point::text AS "recoveryPoint", response_status AS "responseStatus",
      response_body::text AS "responseBody", inserted,
      expires_at <= now() AS "expired",
      (lock_token IS NOT NULL AND locked_at > now() - make_interval(secs => ${timings.lockTimeoutSeconds}::float8)) AS "lockHeld",
      created_at < now() - make_interval(hours => ${REDRIVE_WINDOW_HOURS}) AS "tooOldToRedrive"`;
}
