import "server-only";
import { randomUUID } from "node:crypto";
import type { Prisma } from "@prisma/client";
import { env } from "@/env";
import { ApiError } from "@/server/http/api-error";
import { claimKey } from "./claim-key";
import { completeKey } from "./complete-key";
import { crashPoint } from "./crash-point";
import { fingerprint } from "./fingerprint";
import type { KeyRow, KeyScope, KeyTimings } from "./key-row";
import { forgetKey, releaseKey } from "./release-key";
import { replaceExpiredKey } from "./replace-expired-key";
import { takeOverKey } from "./take-over-key";

export type IdempotencyOutcome = "created" | "replayed" | "recovered" | "in_progress" | "mismatch" | "released";

/** What the wrapped operation returns when it reached a final answer worth replaying. */
export type FinalOutcome = {
  status: number;
  body: unknown;
  /** The domain rows, as CTEs (`name AS (…)`) selecting from `completed` (see completeKey). */
  write?: Prisma.Sql;
};

export type OperationContext = {
  /** Id of our idempotency_keys row: derive downstream idempotency keys from it. */
  keyId: string;
  /** True when this request re-drives a row that an earlier attempt left unfinished. */
  recovered: boolean;
};

export type KeyedRequest = {
  userId: string;
  key: string;
  method: string;
  path: string;
  /** The validated body with defaults applied: what the fingerprint covers. */
  body: unknown;
};

export type KeyedResponse = {
  status: number;
  /** Exact JSON text; a replay returns the stored text unchanged. */
  body: string;
  replayed: boolean;
  outcome: IdempotencyOutcome;
};

type Options = {
  /** RFC 7240 `Prefer: wait`: seconds a duplicate may wait for the first request. */
  waitSeconds?: number;
  timings?: KeyTimings;
  onOutcome?: (outcome: IdempotencyOutcome) => void;
};

const IN_PROGRESS_RETRY_AFTER = 1;
/** Rounds of lost races (replace / take-over) before answering 409 instead of looping. */
const MAX_RACE_ROUNDS = 20;

/**
 * Runs `operation` at most once per (user, key) with the same request, across every app
 * instance, and replays its final answer to retries (DESIGN.md §4). PostgreSQL is the only
 * coordinator; no connection or transaction is held while `operation` runs.
 */
export async function withIdempotency(
  request: KeyedRequest,
  operation: (ctx: OperationContext) => Promise<FinalOutcome>,
  options: Options = {},
): Promise<KeyedResponse> {
  const timings = options.timings ?? defaultTimings();
  const report = options.onOutcome ?? (() => {});
  const scope: KeyScope = {
    userId: request.userId,
    key: request.key,
    method: request.method,
    path: request.path,
    requestHash: fingerprint({ method: request.method, path: request.path, body: request.body }),
  };
  const deadline = Date.now() + (options.waitSeconds ?? 0) * 1000;

  for (let attempt = 0; ; attempt++) {
    const lockToken = randomUUID();
    const row = await claimKey(scope, timings, lockToken);
    if (row === null) continue; // raced a concurrent insert outside our snapshot: read again

    const owned = await acquire(row, scope, timings, lockToken);
    if (owned) {
      const result = await runOwned(owned.keyId, lockToken, owned.recovered, operation, report);
      if (result) {
        report(result.outcome);
        return result;
      }
      continue; // our lock was taken over while we ran: read what the new owner stored
    }

    if (row.requestHash !== scope.requestHash && !row.expired) {
      report("mismatch");
      throw new ApiError(
        "idempotency_key_reused",
        "This Idempotency-Key was already used with a different request. Use a new key for a new payment.",
      );
    }
    if (row.recoveryPoint === "finished" && !row.expired && row.responseStatus !== null && row.responseBody !== null) {
      report("replayed");
      return { status: row.responseStatus, body: row.responseBody, replayed: true, outcome: "replayed" };
    }
    if (row.lockHeld || attempt >= MAX_RACE_ROUNDS) {
      if (Date.now() < deadline) {
        await sleep(Math.min(50 * 2 ** Math.min(attempt, 4), 500, Math.max(deadline - Date.now(), 0)));
        continue;
      }
      report("in_progress");
      throw new ApiError(
        "idempotency_request_in_progress",
        "A request with this Idempotency-Key is still being processed. Retry with the same key.",
        { retryAfter: IN_PROGRESS_RETRY_AFTER },
      );
    }
    if (row.tooOldToRedrive) {
      report("in_progress");
      throw new ApiError(
        "idempotency_request_in_progress",
        "This request was interrupted long ago and is being reconciled with the payment provider.",
        { retryAfter: timings.lockTimeoutSeconds },
      );
    }
    // Expired, released or stale, and another request changed it first: look again.
  }
}

/**
 * Decides whether this request now owns the row: it inserted it; or the row had expired
 * and we replaced it; or it was released / abandoned (stale lock) and we took it over.
 */
async function acquire(
  row: KeyRow,
  scope: KeyScope,
  timings: KeyTimings,
  lockToken: string,
): Promise<{ keyId: string; recovered: boolean } | null> {
  if (row.inserted) return { keyId: row.id, recovered: false };
  if (row.expired && !row.lockHeld) {
    const keyId = await replaceExpiredKey(row.id, scope, timings, lockToken);
    return keyId ? { keyId, recovered: false } : null;
  }
  const sameRequest = row.requestHash === scope.requestHash;
  const redrivable = sameRequest && row.recoveryPoint === "started" && !row.lockHeld && !row.tooOldToRedrive;
  if (redrivable && (await takeOverKey(row.id, row.lockToken, lockToken, timings))) {
    return { keyId: row.id, recovered: true };
  }
  return null;
}

/** Phases 3–5: run the operation, then complete (fenced) or release. Null if fenced out. */
async function runOwned(
  keyId: string,
  lockToken: string,
  recovered: boolean,
  operation: (ctx: OperationContext) => Promise<FinalOutcome>,
  report: (outcome: IdempotencyOutcome) => void,
): Promise<KeyedResponse | null> {
  // Chaos suite only (CHAOS_CRASH_AT, refused in production): die holding the lock before
  // Stripe is called, right after it answered, and just before completing, to prove that
  // another instance re-drives the key to the same single PaymentIntent.
  crashPoint("after-claim");
  let final: FinalOutcome;
  try {
    final = await operation({ keyId, recovered });
  } catch (error) {
    // A refusal before any side effect on a row we created: forget the key entirely, so a
    // corrected retry is a fresh request. Anything else (a transient failure, a bug) keeps
    // the row for a safe re-drive; a recovered row is kept because an earlier attempt may
    // already have reached Stripe with this row's key.
    const refusedUpFront = error instanceof ApiError && error.status < 500 && !recovered;
    if (!refusedUpFront) report("released");
    await (refusedUpFront ? forgetKey(keyId, lockToken) : releaseKey(keyId, lockToken)).catch(() => {
      // If PostgreSQL is gone the lock simply expires after the lock timeout.
    });
    throw error;
  }
  crashPoint("after-stripe-call");
  const body = JSON.stringify(final.body);
  crashPoint("before-complete");
  const completed = await completeKey(keyId, lockToken, { status: final.status, body }, final.write);
  if (!completed) return null;
  return { status: final.status, body, replayed: false, outcome: recovered ? "recovered" : "created" };
}

function defaultTimings(): KeyTimings {
  const { IDEMPOTENCY_TTL, IDEMPOTENCY_LOCK_TIMEOUT } = env();
  return { ttlSeconds: IDEMPOTENCY_TTL, lockTimeoutSeconds: IDEMPOTENCY_LOCK_TIMEOUT };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
