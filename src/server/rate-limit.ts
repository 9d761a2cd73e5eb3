import "server-only";
import { db } from "@/server/db";
import { ApiError } from "@/server/http/api-error";

/**
 * Counts one `action` by `userId` in the current one-minute window and throws a 429
 * ApiError (with Retry-After: seconds to the next window) once more than `limitPerMinute`
 * were counted in it.
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
 * Callers decide what counts and how many: payment and refund creation call this only for
 * new requests, never for replays of a completed idempotency key, each with its own action
 * and its own limit from env (RATE_LIMIT_PAYMENTS_PER_MINUTE, RATE_LIMIT_REFUNDS_PER_MINUTE).
 */
export async function enforceRateLimit(userId: string, action: string, limitPerMinute: number): Promise<void> {
  const [window] = await db().$queryRaw<Array<{ count: number; retry_after: number }>>`
    WITH hit AS (
      INSERT INTO rate_limit_windows (user_id, action, window_start, count)
      VALUES (${userId}::uuid, ${action}, date_trunc('minute', now()), 1)
      ON CONFLICT (user_id, action, window_start) DO UPDATE SET count = rate_limit_windows.count + 1
      RETURNING count, window_start
    ), pruned AS (
      DELETE FROM rate_limit_windows
      WHERE user_id = ${userId}::uuid AND action = ${action} AND window_start < date_trunc('minute', now())
        AND EXISTS (SELECT 1 FROM hit WHERE hit.count = 1)
    )
    SELECT count, GREATEST(1, ceil(extract(epoch FROM window_start + interval '1 minute' - now())))::int AS retry_after
    FROM hit`;
  if (!window) throw new Error("rate limit upsert returned no row");
  if (window.count > limitPerMinute) {
    throw new ApiError(
      "rate_limited",
      `At most ${limitPerMinute} requests per minute; retry in ${window.retry_after} s.`,
      { retryAfter: window.retry_after, extensions: { limit: limitPerMinute } },
    );
  }
}
