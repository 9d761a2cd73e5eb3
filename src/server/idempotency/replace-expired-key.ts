import "server-only";
import { randomUUID } from "node:crypto";
import { Prisma } from "@prisma/client";
import { db } from "@/server/db";
import type { KeyScope, KeyTimings } from "./key-row";

/**
 * An expired key starts a new request: delete the old row and insert a new one (new id,
 * hence a new Stripe idempotency key) in one statement, so no other request can see the key
 * missing in between. Payments of the old row keep their history (FK set null). A row whose
 * lock is still held is not replaced: its request may be talking to Stripe right now.
 * Returns the new row's id, or null if another request changed the row first.
 */
export async function replaceExpiredKey(
  oldKeyId: string,
  scope: KeyScope,
  timings: KeyTimings,
  lockToken: string,
): Promise<string | null> {
  const rows = await db().$queryRaw<{ id: string }[]>(Prisma.sql`
    WITH gone AS (
      DELETE FROM idempotency_keys
      WHERE id = ${oldKeyId}::uuid
        AND expires_at <= now()
        AND (lock_token IS NULL OR locked_at <= now() - make_interval(secs => ${timings.lockTimeoutSeconds}::float8))
      RETURNING user_id, key
    )
    INSERT INTO idempotency_keys
      (id, user_id, key, method, path, request_hash, lock_token, locked_at, recovery_point, expires_at)
    SELECT ${randomUUID()}::uuid, user_id, key, ${scope.method}, ${scope.path}, ${scope.requestHash},
      ${lockToken}::uuid, now(), 'started', now() + make_interval(secs => ${timings.ttlSeconds}::float8)
    FROM gone
    RETURNING id::text AS id`);
  return rows[0]?.id ?? null;
}
