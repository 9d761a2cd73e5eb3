import "server-only";
import { Prisma } from "@prisma/client";
import { db } from "@/server/db";

export type CleanupOptions = {
  batchSize: number;
  /** Stop after this many batches (bounds one run, e.g. from the hosted cron). */
  maxBatches?: number;
  dryRun?: boolean;
  onBatch?: (batch: { number: number; deleted: number; total: number; ms: number }) => void;
};

export type CleanupSummary = { deleted: number; remaining: number; batches: number; durationMs: number; dryRun: boolean };

/**
 * Deletes expired idempotency keys in batches, each its own short statement. Keys still
 * locked (a request in flight, or a crash awaiting reconciliation) are never deleted, and
 * neither are payments: their `idempotency_key_id` is set null by the foreign key.
 *
 * `FOR UPDATE SKIP LOCKED` lets several cleanups, and live requests replacing an expired
 * key, run at once without waiting on each other: each row is deleted exactly once.
 */
export async function cleanupExpiredKeys(options: CleanupOptions): Promise<CleanupSummary> {
  const started = performance.now();
  let deleted = 0;
  let batches = 0;

  if (!options.dryRun) {
    while (options.maxBatches === undefined || batches < options.maxBatches) {
      const batchStarted = performance.now();
      const count = await db().$executeRaw(Prisma.sql`
        WITH doomed AS (
          SELECT id FROM idempotency_keys
          WHERE expires_at <= now() AND lock_token IS NULL
          ORDER BY expires_at
          LIMIT ${options.batchSize}
          FOR UPDATE SKIP LOCKED
        )
        DELETE FROM idempotency_keys AS k USING doomed WHERE k.id = doomed.id`);
      if (count === 0) break;
      batches += 1;
      deleted += count;
      options.onBatch?.({ number: batches, deleted: count, total: deleted, ms: Math.round(performance.now() - batchStarted) });
    }
  }

  const remaining = await countExpired();
  return { deleted, remaining, batches, durationMs: Math.round(performance.now() - started), dryRun: Boolean(options.dryRun) };
}

/** Expired keys that a cleanup may delete (unlocked). */
async function countExpired(): Promise<number> {
  const [row] = await db().$queryRaw<{ count: number }[]>(Prisma.sql`
    SELECT count(*)::int AS count FROM idempotency_keys WHERE expires_at <= now() AND lock_token IS NULL`);
  return row?.count ?? 0;
}
