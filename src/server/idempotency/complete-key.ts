import "server-only";
import { Prisma } from "@prisma/client";
import { db } from "@/server/db";

/**
 * Phase 4, one statement (so one round trip and one transaction): store the final response,
 * mark the key finished and clear the lock — only while we still hold the lock (fencing: if
 * our lock was taken over, the new owner's result wins and ours is dropped).
 *
 * `write` is the domain's rows as one or more CTEs (`name AS (…)`, comma-separated) that
 * select from `completed`, so they are written if and only if the key is completed. More
 * than one, because a refund inserts its row and raises the payment's refunded amount in
 * the same transaction.
 */
export async function completeKey(
  keyId: string,
  lockToken: string,
  response: { status: number; body: string },
  write?: Prisma.Sql,
): Promise<boolean> {
  const rows = await db().$queryRaw<{ completed: number }[]>(Prisma.sql`
    WITH completed AS (
      UPDATE idempotency_keys
      SET recovery_point = 'finished', response_status = ${response.status}, response_body = ${response.body}::json,
          lock_token = NULL, locked_at = NULL, completed_at = now()
      WHERE id = ${keyId}::uuid AND lock_token = ${lockToken}::uuid
      RETURNING id, user_id
    )${write ? Prisma.sql`, ${write}` : Prisma.empty}
    SELECT count(*)::int AS completed FROM completed`);
  return rows[0]?.completed === 1;
}
