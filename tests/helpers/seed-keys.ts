import { Prisma } from "@prisma/client";
import { db } from "@/server/db";

type KeyKind = "expired" | "live" | "locked-expired";

/**
 * Inserts `count` idempotency keys for a user in one statement: expired and unlocked
 * (cleanup deletes them), live, or expired but locked (in flight; cleanup must keep them).
 */
export async function seedKeys(userId: string, kind: KeyKind, count: number, prefix = kind): Promise<void> {
  const expiresAt = kind === "live" ? Prisma.sql`now() + interval '1 day'` : Prisma.sql`now() - interval '1 minute'`;
  const lock = kind === "locked-expired" ? Prisma.sql`gen_random_uuid(), now()` : Prisma.sql`NULL, NULL`;
  await db().$executeRaw(Prisma.sql`
    INSERT INTO idempotency_keys (id, user_id, key, method, path, request_hash, lock_token, locked_at,
      recovery_point, response_status, response_body, created_at, expires_at)
    SELECT gen_random_uuid(), ${userId}::uuid, ${prefix} || '-' || n, 'POST', '/api/payments', repeat('a', 64), ${lock},
      'finished', 201, '{}'::json, now() - interval '2 days', ${expiresAt}
    FROM generate_series(1, ${count}::int) AS n`);
}
