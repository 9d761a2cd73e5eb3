import "server-only";
import { countExpired, deleteExpired } from "@/server/idempotency/key-store";

export type CleanupOptions = {
  batchSize: number;
  /** Stop after this many batches (bounds one run, e.g. from the hosted cron). */
  maxBatches?: number;
  dryRun?: boolean;
  onBatch?: (batch: { number: number; deleted: number; total: number; ms: number }) => void;
};

export type CleanupSummary = { deleted: number; remaining: number; batches: number; durationMs: number; dryRun: boolean };

/**
 * Deletes expired idempotency keys in batches, each its own short statement (key-store
 * deleteExpired). Only finished keys go: an unfinished one (a request in flight, released,
 * or awaiting reconciliation) may stand for money that moved. Payments are never deleted:
 * their `idempotency_key_id` is set null by the foreign key.
 */
export async function cleanupExpiredKeys(options: CleanupOptions): Promise<CleanupSummary> {
  const started = performance.now();
  let deleted = 0;
  let batches = 0;

  if (!options.dryRun) {
    while (options.maxBatches === undefined || batches < options.maxBatches) {
      const batchStarted = performance.now();
      const count = await deleteExpired(options.batchSize);
      if (count === 0) break;
      batches += 1;
      deleted += count;
      options.onBatch?.({ number: batches, deleted: count, total: deleted, ms: Math.round(performance.now() - batchStarted) });
    }
  }

  const remaining = await countExpired();
  return { deleted, remaining, batches, durationMs: Math.round(performance.now() - started), dryRun: Boolean(options.dryRun) };
}
