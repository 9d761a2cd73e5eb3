import "server-only";
import { Prisma } from "@prisma/client";
import { sqlRows } from "@/server/db";
import { ApiError } from "@/server/http/api-error";

/** A limit on new requests of one kind per user and minute (payments, refunds). */
export type RateLimit = { action: string; limitPerMinute: number };

/** The counter after one more: where it stands in the current window, and seconds to the next. */
export type RateCount = { count: number; retryAfter: number };

/*
 * Counts one `action` by a user in the current one-minute window; once more than the limit
 * were counted in it, the request is refused with a 429 (Retry-After: seconds to the next
 * window).
 *
 * The count lives in PostgreSQL and is bumped by one atomic upsert, so the limit holds
 * across every app instance and concurrent requests cannot both read "29" and both pass.
 * The window is fixed (clock minutes, by the database's clock): simple and cheap, at the
 * price of allowing up to twice the limit across a minute boundary.
 *
 * Old windows are pruned in the same statement, and only when a user's first call of a new
 * window creates its row, so the table holds about one row per active (user, action) and
 * most calls write nothing but the counter. The (window_start) index is there for a global
 * sweep (`DELETE … WHERE window_start < now() - interval '1 hour'`) should one be wanted.
 *
 * Only new requests count, never replays of a completed key nor re-drives of an interrupted
 * one: the key store bumps the counter in the very statement that claims a new key
 * (key-store.ts claim, with countedWindow), so a counted request costs no round trip of its own.
 */

/**
 * SQL of two CTEs, `counted` (`count`, `window_start`) and `pruned`, that count one `action`
 * of `userId` when `when` (a relation) has a row, and nothing otherwise. Placed after other
 * CTEs: `, ${countedWindow(…)}`.
 */
export function countedWindow(userId: string, action: string, when: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`counted AS (
      INSERT INTO rate_limit_windows (user_id, action, window_start, count)
      SELECT ${userId}::uuid, ${action}, date_trunc('minute', now()), 1 FROM ${when} LIMIT 1
      ON CONFLICT (user_id, action, window_start) DO UPDATE SET count = rate_limit_windows.count + 1
      RETURNING count, window_start
    ), pruned AS (
      DELETE FROM rate_limit_windows
      WHERE user_id = ${userId}::uuid AND action = ${action} AND window_start < date_trunc('minute', now())
        AND EXISTS (SELECT 1 FROM counted WHERE counted.count = 1)
    )`;
}

/** The columns of countedWindow's count, null when nothing was counted: `"rateCount"`, `"rateRetryAfter"`. */
export const COUNTED_COLUMNS = Prisma.sql`(SELECT count FROM counted) AS "rateCount",
      (SELECT GREATEST(1, ceil(extract(epoch FROM window_start + interval '1 minute' - now())))::int FROM counted) AS "rateRetryAfter"`;

/** The 429 for a count past the limit, or null within it. */
export function rateLimitRefusal(limit: RateLimit, counted: RateCount): ApiError | null {
  if (counted.count <= limit.limitPerMinute) return null;
  return new ApiError("rate_limited", `At most ${limit.limitPerMinute} requests per minute; retry in ${counted.retryAfter} s.`, {
    retryAfter: counted.retryAfter,
    extensions: { limit: limit.limitPerMinute },
  });
}

/** Counts one request on its own (one statement) and throws the 429 past the limit. */
export async function enforceRateLimit(userId: string, limit: RateLimit): Promise<void> {
  const [window] = await sqlRows<Array<{ rateCount: number; rateRetryAfter: number }>>(Prisma.sql`
    WITH ${countedWindow(userId, limit.action, Prisma.sql`(SELECT 1) AS once`)}
    SELECT ${COUNTED_COLUMNS}`);
  if (!window || window.rateCount === null) throw new Error("rate limit upsert returned no row");
  const refusal = rateLimitRefusal(limit, { count: window.rateCount, retryAfter: window.rateRetryAfter });
  if (refusal) throw refusal;
}
