import "server-only";
import { createHmac } from "node:crypto";
import { env } from "@/env";
import { db } from "@/server/db";
import { addressBlock } from "@/server/http/client-address";

/**
 * What sign-in and sign-up count, one bucket each. An account is named by an HMAC of its
 * (normalised) email under AUTH_SECRET, never by the email: the table says nothing about
 * who tried to sign in, and a plain hash could be checked against a list of emails. An
 * address is named by the block one client holds (an IPv6 /64, see addressBlock).
 */
export const throttleBuckets = {
  signInAccount: (email: string) => `signin:account:${createHmac("sha256", env().AUTH_SECRET).update(email).digest("hex")}`,
  signInAddress: (address: string) => `signin:address:${addressBlock(address)}`,
  signUpAddress: (address: string) => `signup:address:${addressBlock(address)}`,
};

export type WindowCount = {
  /** Each bucket's count in the current window, this event included, in the order asked. */
  counts: number[];
  /** The start of the window the event was counted in: a later uncount() takes it back there. */
  windowStart: Date;
  /** Seconds until that window ends (at least 1): the `Retry-After` of a refusal. */
  retryAfter: number;
};

/** Past windows deleted, at most, by each statement that opens a new window. */
const SWEEP_LIMIT = 16;

/**
 * Counts one event in each of `buckets`, in the current fixed window of `windowSeconds`
 * (windows start at multiples of it since the epoch, by PostgreSQL's clock, so every bucket
 * shares them), and returns the counts.
 *
 * One atomic upsert, as in rate-limit.ts: the limit holds across every app instance, and
 * concurrent attempts cannot both read "4" and both pass. Rows are written in one order
 * (sorted buckets), so two statements never wait on each other's rows crosswise.
 *
 * Buckets are chosen by callers who may be attackers (any email, any address), so a bucket
 * may never come back to prune its own past windows: each statement that opens a window also
 * deletes up to SWEEP_LIMIT past ones of any bucket, the oldest first, skipping rows another
 * statement holds. Windows open at most once per bucket per window, so the sweep keeps up.
 * Like rate-limit.ts, a fixed window allows up to twice a limit across a window boundary.
 */
export async function countInWindow(buckets: readonly string[], windowSeconds: number): Promise<WindowCount> {
  const sorted = [...new Set(buckets)].sort();
  const rows = await db().$queryRaw<Array<{ bucket: string; count: number; window_start: Date; retry_after: number }>>`
    WITH hit AS (
      INSERT INTO auth_throttle_windows AS w (bucket, window_start, count)
      SELECT bucket, date_bin(make_interval(secs => ${windowSeconds}::int), now(), timestamptz 'epoch'), 1
      FROM unnest(${sorted}::text[]) WITH ORDINALITY AS asked(bucket, position)
      ORDER BY position
      ON CONFLICT (bucket, window_start) DO UPDATE SET count = w.count + 1
      RETURNING bucket, count, window_start
    ), swept AS (
      DELETE FROM auth_throttle_windows
      WHERE (bucket, window_start) IN (
        SELECT bucket, window_start FROM auth_throttle_windows
        WHERE window_start < (SELECT min(window_start) FROM hit)
        ORDER BY window_start
        LIMIT ${SWEEP_LIMIT}
        FOR UPDATE SKIP LOCKED
      ) AND EXISTS (SELECT 1 FROM hit WHERE hit.count = 1)
    )
    SELECT bucket, count, window_start,
      GREATEST(1, ceil(extract(epoch FROM window_start + make_interval(secs => ${windowSeconds}::int) - now())))::int AS retry_after
    FROM hit`;
  const counts = new Map(rows.map((row) => [row.bucket, row.count]));
  const [first] = rows;
  if (!first || counts.size !== sorted.length) throw new Error("throttle upsert did not return every bucket");
  return { counts: buckets.map((bucket) => counts.get(bucket)!), windowStart: first.window_start, retryAfter: first.retry_after };
}

/** Takes one event back off `bucket`'s count in the window it was counted in, if that window is still kept. */
export async function uncount(bucket: string, windowStart: Date): Promise<void> {
  await db().$executeRaw`
    UPDATE auth_throttle_windows SET count = count - 1
    WHERE bucket = ${bucket} AND window_start = ${windowStart} AND count > 0`;
}

/** Forgets everything counted in `bucket`. */
export async function forgetBucket(bucket: string): Promise<void> {
  await db().$executeRaw`DELETE FROM auth_throttle_windows WHERE bucket = ${bucket}`;
}
