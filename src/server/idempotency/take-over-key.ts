import "server-only";
import { Prisma } from "@prisma/client";
import { db } from "@/server/db";
import type { KeyTimings } from "./key-row";

/**
 * Takes the lock of an unfinished row whose owner released it (a transient failure) or
 * crashed (the lock is older than the lock timeout). Compare-and-set on the lock token we
 * observed: of several instances trying at once, exactly one wins.
 */
export async function takeOverKey(
  keyId: string,
  observedLockToken: string | null,
  newLockToken: string,
  timings: KeyTimings,
): Promise<boolean> {
  const taken = await db().$executeRaw(Prisma.sql`
    UPDATE idempotency_keys
    SET lock_token = ${newLockToken}::uuid, locked_at = now()
    WHERE id = ${keyId}::uuid
      AND recovery_point = 'started'
      AND lock_token IS NOT DISTINCT FROM ${observedLockToken}::uuid
      AND (lock_token IS NULL OR locked_at <= now() - make_interval(secs => ${timings.lockTimeoutSeconds}::float8))`);
  return taken === 1;
}
