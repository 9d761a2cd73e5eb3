import { Prisma } from "@prisma/client";
import { db } from "@/server/db";

type KeyKind = "expired" | "live" | "locked-expired" | "unfinished-expired";

/**
 * Inserts `count` idempotency keys for a user in one statement: finished and expired
 * (cleanup deletes them), finished and live, expired but locked (in flight), or expired,
 * unfinished and unlocked (released or flagged: it may stand for a charge, so cleanup keeps
 * both of the last two for the reconciler).
 */
export async function seedKeys(userId: string, kind: KeyKind, count: number, prefix = kind): Promise<void> {
  const expiresAt = kind === "live" ? Prisma.sql`now() + interval '1 day'` : Prisma.sql`now() - interval '1 minute'`;
  const lock = kind === "locked-expired" ? Prisma.sql`gen_random_uuid(), now()` : Prisma.sql`NULL, NULL`;
  const state =
    kind === "expired" || kind === "live"
      ? Prisma.sql`'finished', 201, '{}'::json`
      : Prisma.sql`${kind === "locked-expired" ? "started" : "needs_reconciliation"}::recovery_point, NULL, NULL`;
  await db().$executeRaw(Prisma.sql`
    INSERT INTO idempotency_keys (id, user_id, key, method, path, request_hash, lock_token, locked_at,
      recovery_point, response_status, response_body, created_at, expires_at)
    SELECT gen_random_uuid(), ${userId}::uuid, ${prefix} || '-' || n, 'POST', '/api/payments', repeat('a', 64), ${lock},
      ${state}, now() - interval '2 days', ${expiresAt}
    FROM generate_series(1, ${count}::int) AS n`);
}
