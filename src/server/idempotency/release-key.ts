import "server-only";
import { Prisma } from "@prisma/client";
import { db } from "@/server/db";

/**
 * Phase 5 after a transient failure: clear our lock and store nothing final. The row stays,
 * so the retry re-drives it with the same Stripe idempotency key: if the failed call did
 * reach Stripe, Stripe replays it instead of charging again.
 */
export async function releaseKey(keyId: string, lockToken: string): Promise<void> {
  await db().$executeRaw(Prisma.sql`
    UPDATE idempotency_keys SET lock_token = NULL, locked_at = NULL
    WHERE id = ${keyId}::uuid AND lock_token = ${lockToken}::uuid`);
}

/**
 * For a request refused before any side effect (e.g. rate limited) on a row it created:
 * delete the row, so the key is as if never used and the client may retry it with any body.
 */
export async function forgetKey(keyId: string, lockToken: string): Promise<void> {
  await db().$executeRaw(Prisma.sql`
    DELETE FROM idempotency_keys
    WHERE id = ${keyId}::uuid AND lock_token = ${lockToken}::uuid AND recovery_point = 'started'`);
}
