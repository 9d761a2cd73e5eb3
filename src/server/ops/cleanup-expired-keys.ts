import "server-only";
import { setTimeout as sleep } from "node:timers/promises";
import type { z } from "zod";
import type { cleanupResponseSchema } from "@/lib/schemas/operations-response";
import { countExpired, deleteExpired } from "@/server/idempotency/key-store";

export type CleanupPacing = {
  /** The first batch's size and the largest. */
  batchSize: number;
  /** The smallest batch the size shrinks to (never more than `batchSize`). */
  minBatchSize: number;
  /** Batch time aimed at: the next batch's size is scaled by target ÷ this batch's time. */
  targetBatchMs: number;
  /** Largest share of wall time spent in delete statements: a batch of t ms is followed by a pause of t × (1 − d) ÷ d. */
  maxDuty: number;
};

/**
 * Defaults under which `npm run bench` on a quiet 2-core machine measured the replays' p99
 * during a cleanup of 1,000,000 keys within 10 % of its value without one (docs/BENCHMARKS.md,
 * "TTL cleanup under load"), the keys gone in about 4 minutes.
 */
export const CLEANUP_DEFAULTS: Readonly<CleanupPacing> = { batchSize: 1_000, minBatchSize: 100, targetBatchMs: 25, maxDuty: 0.1 };

export type CleanupClock = { now: () => number; sleep: (ms: number) => Promise<void> };

export type CleanupOptions = Partial<CleanupPacing> & {
  /** Stop after this many batches. */
  maxBatches?: number;
  /** A time budget, e.g. a request's: no batch starts after this many ms, and no pause that would end past them. */
  maxDurationMs?: number;
  dryRun?: boolean;
  onBatch?: (batch: { number: number; size: number; deleted: number; total: number; ms: number; pauseMs: number }) => void;
  /** Where time is read and pauses are taken; tests pass a fake one. */
  clock?: CleanupClock;
};

/** What a run did: the shape GET /api/cron/cleanup answers and the OpenAPI document publishes. */
export type CleanupSummary = z.infer<typeof cleanupResponseSchema>;

const realClock: CleanupClock = { now: () => performance.now(), sleep: (ms) => sleep(ms) };

/**
 * Deletes expired idempotency keys in batches, each its own short statement (key-store
 * deleteExpired). Only finished keys go: an unfinished one (a request in flight, released,
 * or awaiting reconciliation) may stand for money that moved. Payments are never deleted:
 * their `idempotency_key_id` is set null by the foreign key.
 *
 * Paced so that live traffic does not feel it: each batch is followed by a pause in
 * proportion to its own statement time (at most `maxDuty` of wall time is spent deleting,
 * and a loaded database, whose batches run slower, gets longer pauses), and the batch size
 * follows `targetBatchMs`, so that no single statement holds a core for long.
 */
export async function cleanupExpiredKeys(options: CleanupOptions = {}): Promise<CleanupSummary> {
  const pacing = pacingFrom(options);
  const clock = options.clock ?? realClock;
  const started = clock.now();
  const deadline = started + (options.maxDurationMs ?? Infinity);
  let size = pacing.batchSize;
  let deleted = 0;
  let batches = 0;
  let pausedMs = 0;

  while (!options.dryRun && (options.maxBatches === undefined || batches < options.maxBatches) && clock.now() < deadline) {
    const batchStarted = clock.now();
    const count = await deleteExpired(size);
    const ms = clock.now() - batchStarted;
    if (count === 0) break;
    batches += 1;
    deleted += count;
    const next = nextBatch(pacing, size, count, ms);
    // A short batch means nothing more was there to take: the next (empty) one ends the run.
    const pauseMs = count < size ? 0 : next.pauseMs;
    options.onBatch?.({ number: batches, size, deleted: count, total: deleted, ms: Math.round(ms), pauseMs: Math.round(pauseMs) });
    if (batches === options.maxBatches || clock.now() + pauseMs >= deadline) break;
    if (pauseMs > 0) {
      await clock.sleep(pauseMs);
      pausedMs += pauseMs;
    }
    size = next.size;
  }

  const remaining = await countExpired();
  return {
    deleted,
    remaining,
    batches,
    durationMs: Math.round(clock.now() - started),
    pausedMs: Math.round(pausedMs),
    dryRun: Boolean(options.dryRun),
  };
}

/**
 * After a batch that took `ms` to delete `deleted` keys of `size` asked: the pause that keeps
 * the run at `maxDuty`, and the size that would take `targetBatchMs` at the rate just seen,
 * changed by at most 2× at a time (one slow batch is often the machine, not the database)
 * and kept within [minBatchSize, batchSize].
 */
export function nextBatch(pacing: CleanupPacing, size: number, deleted: number, ms: number): { size: number; pauseMs: number } {
  const aimed = ms > 0 ? (deleted * pacing.targetBatchMs) / ms : Infinity;
  const stepped = Math.min(Math.max(aimed, size / 2), size * 2);
  return {
    size: Math.round(Math.min(Math.max(stepped, pacing.minBatchSize), pacing.batchSize)),
    pauseMs: (ms * (1 - pacing.maxDuty)) / pacing.maxDuty,
  };
}

function pacingFrom(options: CleanupOptions): CleanupPacing {
  const batchSize = options.batchSize ?? CLEANUP_DEFAULTS.batchSize;
  const pacing = {
    batchSize,
    minBatchSize: Math.min(options.minBatchSize ?? CLEANUP_DEFAULTS.minBatchSize, batchSize),
    targetBatchMs: options.targetBatchMs ?? CLEANUP_DEFAULTS.targetBatchMs,
    maxDuty: options.maxDuty ?? CLEANUP_DEFAULTS.maxDuty,
  };
  if (!Number.isInteger(pacing.batchSize) || pacing.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(pacing.minBatchSize) || pacing.minBatchSize < 1) throw new RangeError(`minBatchSize must be a positive integer, got ${pacing.minBatchSize}`);
  if (!(pacing.targetBatchMs > 0)) throw new RangeError(`targetBatchMs must be positive, got ${pacing.targetBatchMs}`);
  if (!(pacing.maxDuty > 0 && pacing.maxDuty <= 1)) throw new RangeError(`maxDuty must be in (0, 1], got ${pacing.maxDuty}`);
  return pacing;
}
