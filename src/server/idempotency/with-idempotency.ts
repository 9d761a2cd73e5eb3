import "server-only";
import { randomUUID } from "node:crypto";
import { env } from "@/env";
import { ApiError } from "@/server/http/api-error";
import { isDatabaseUnavailable } from "@/server/http/database-unavailable";
// By this specifier, not "./phase-hooks": a test harness's build swaps it (next.config.ts).
import { atPhase } from "@/server/idempotency/phase-hooks";
import { logger, type Logger } from "@/server/logger";
import { enforceRateLimit, rateLimitRefusal, type RateLimit } from "@/server/rate-limit";
import { fingerprint } from "./fingerprint";
import * as keys from "./key-store";
import type { DomainWrite, KeyLock, KeyRow, KeyTimings } from "./key-store";

/*
 * The idempotency engine (DESIGN.md §4, §9.1; states in docs/decisions/005-key-states.md).
 *
 *   claim ──► classify ──► new / expired / redrivable ──► operation (Stripe) ──► record
 *                     └──► replay · mismatch · in flight · needs reconciliation: answered
 *
 * Each arrow into the database is one statement of key-store.ts. No connection or
 * transaction is held while the operation talks to Stripe; the row's lock (a token and a
 * time) is what keeps a second request out, and it goes stale if its owner dies.
 */

/** What a key row means for a request that carries its key. */
export type KeyState =
  /** This request created the row: run the operation. */
  | "new"
  /** Finished: answer the stored response. */
  | "replay"
  /** The key was used for another request: 422, nothing runs. */
  | "mismatch"
  /** Another request holds a fresh lock: 409, or wait for it (`Prefer: wait`). */
  | "in_flight"
  /** Finished and past its TTL: a new request under an old key. Replace the row and run. */
  | "expired"
  /** Unfinished, and its owner released it or died: take it over and run again (same Stripe key). */
  | "redrivable"
  /** Flagged, or too old to re-drive safely: only the reconciler finishes it; answer so. */
  | "needs_reconciliation";

export function classify(row: KeyRow, requestHash: string): KeyState {
  if (row.inserted) return "new";
  if (row.recoveryPoint === "finished" && row.expired) return "expired";
  if (row.requestHash !== requestHash) return "mismatch";
  if (row.recoveryPoint === "finished") return "replay";
  if (row.recoveryPoint === "needs_reconciliation") return "needs_reconciliation";
  if (row.lockHeld) return "in_flight";
  if (row.tooOldToRedrive) return "needs_reconciliation";
  return "redrivable";
}

export type IdempotencyOutcome =
  | "created"
  | "replayed"
  | "recovered"
  | "in_progress"
  | "mismatch"
  | "released"
  /** This request's outcome could not be recorded, or it failed for good: the key was flagged. */
  | "flagged"
  /** The key awaits the reconciler: answered without running anything. */
  | "awaiting_reconciliation";

/** What the operation returns once Stripe has given an answer worth replaying. */
export type FinalOutcome = {
  status: number;
  body: unknown;
  /** The Stripe object the answer is about (pi_…, re_…): named to the client if recording fails. */
  stripeObjectId: string;
  /** The domain rows, written in the statement that completes the key (see key-store complete). */
  write?: DomainWrite;
  /**
   * The same answer built from Stripe's own fields only, recorded when the database refuses
   * the first one (client text it cannot store, a constraint): charged must mean recorded.
   */
  fallback?: { body: unknown; write?: DomainWrite };
};

export type OperationContext = {
  /** Id of our idempotency_keys row: the id of the resource it creates. */
  keyId: string;
  /** True when this request re-drives a row that an earlier attempt left unfinished. */
  recovered: boolean;
  /** Unix seconds when the key row was made: whatever Stripe created for it is newer. */
  createdAt: number;
  /**
   * The Stripe idempotency key for a call of `kind`, derived from our row, never from the
   * client's key: `kind/<row id>`, the same on every re-drive so Stripe replays instead of
   * creating twice; `kind/<row id>/<n>` once the earlier ones were retired.
   */
  stripeKey(kind: string): string;
  /**
   * Stripe answered a failure it stores and replays for that key (a 500) and holds no object
   * for this request: move to the next generation of the derived key (persisted, fenced).
   */
  retireStripeKey(): Promise<void>;
};

export type KeyedRequest = {
  userId: string;
  key: string;
  method: string;
  path: string;
  /** The validated body with defaults applied: what the fingerprint covers. */
  body: unknown;
};

/** The answer of a keyed request; what happened to the key is reported through `onOutcome`. */
export type KeyedResponse = {
  status: number;
  /** Exact JSON text; a replay returns the stored text unchanged. */
  body: string;
  replayed: boolean;
  /** Until when the key answers with this response (then a request with it starts anew). */
  expiresAt: Date;
};

type Options = {
  /** RFC 7240 `Prefer: wait`: seconds a duplicate may wait for the first request. */
  waitSeconds?: number;
  timings?: KeyTimings;
  /** Told what happened to the key, exactly once per request, whether it answers or throws. */
  onOutcome?: (outcome: IdempotencyOutcome) => void;
  /** The request's logger; failures to record are logged at error level. */
  log?: Logger;
  /**
   * Counts each new request (not a replay, not a re-drive) against this limit, in the claim's
   * own statement, and refuses one past it with 429 before the operation runs, forgetting the key.
   */
  rateLimit?: RateLimit;
};

type Operation = (ctx: OperationContext) => Promise<FinalOutcome>;

const IN_PROGRESS_RETRY_AFTER = 1;
/** Claims per request: lost races and `Prefer: wait` polls (at most 500 ms apart, 10 s in all). */
const MAX_ROUNDS = 40;

/**
 * Runs `operation` at most once per (user, key) with the same request, across every app
 * instance, and gives every retry a final answer: the stored one, or a documented refusal.
 */
export async function withIdempotency(request: KeyedRequest, operation: Operation, options: Options = {}): Promise<KeyedResponse> {
  const timings = options.timings ?? defaultTimings();
  const report = options.onOutcome ?? (() => {});
  const log = options.log ?? logger();
  const scope = {
    userId: request.userId,
    key: request.key,
    method: request.method,
    path: request.path,
    requestHash: fingerprint({ method: request.method, path: request.path, body: request.body }),
  };
  const deadline = Date.now() + (options.waitSeconds ?? 0) * 1000;
  const run = (owned: Owned) => runOwned(owned, operation, { report, log });

  for (let round = 0; round < MAX_ROUNDS; round++) {
    const lockToken = randomUUID();
    const row = await keys.claim(scope, timings, lockToken, options.rateLimit?.action);
    if (row === null) continue; // committed after our snapshot: read it again

    switch (classify(row, scope.requestHash)) {
      case "new": {
        const limited = options.rateLimit && row.rateCount !== null && rateLimitRefusal(options.rateLimit, { count: row.rateCount, retryAfter: row.rateRetryAfter ?? 1 });
        if (limited) {
          await forgetQuietly({ userId: scope.userId, keyId: row.id, lockToken }); // refused before anything ran: the key stays free
          throw limited;
        }
        const answer = await run({ userId: scope.userId, keyId: row.id, lockToken, recovered: false, generation: 0, createdAt: row.createdAt, expiresAt: row.expiresAt });
        if (answer) return answer;
        continue; // fenced out while we ran: read what the new owner did
      }
      case "replay":
        // A finished row always holds its answer (CHECK idempotency_keys_finished_has_response).
        report("replayed");
        return { status: row.responseStatus!, body: row.responseBody!, replayed: true, expiresAt: row.expiresAt };
      case "mismatch":
        report("mismatch");
        throw new ApiError(
          "idempotency_key_reused",
          "This Idempotency-Key was already used with a different request. Use a new key for a new payment.",
          { headers: keyExpiryHeaders(row.expiresAt) },
        );
      case "in_flight":
        if (Date.now() < deadline) {
          await sleep(Math.min(50 * 2 ** Math.min(round, 4), 500, deadline - Date.now()));
          continue;
        }
        report("in_progress");
        throw inProgress(row.expiresAt);
      case "expired": {
        const replaced = await keys.replaceExpired(row.id, scope, timings, lockToken);
        if (replaced && options.rateLimit) {
          // A new request under an old key counts like any new one (rare: one more statement).
          await enforceRateLimit(request.userId, options.rateLimit).catch(async (error: unknown) => {
            await forgetQuietly({ userId: scope.userId, keyId: replaced.id, lockToken });
            throw error;
          });
        }
        // createdAt of the old row: an earlier bound for Stripe lookups is only wider, never wrong.
        const owned = replaced && {
          userId: scope.userId,
          keyId: replaced.id,
          lockToken,
          recovered: false,
          generation: 0,
          createdAt: row.createdAt,
          expiresAt: replaced.expiresAt,
        };
        const answer = owned ? await run(owned) : null;
        if (answer) return answer;
        continue;
      }
      case "redrivable": {
        const owned = {
          userId: scope.userId,
          keyId: row.id,
          lockToken,
          recovered: true,
          generation: row.stripeKeyGeneration,
          createdAt: row.createdAt,
          expiresAt: row.expiresAt,
        };
        const answer = (await keys.takeOver({ ...row, userId: scope.userId }, lockToken, timings)) ? await run(owned) : null;
        if (answer) return answer;
        continue;
      }
      case "needs_reconciliation":
        report("awaiting_reconciliation");
        throw notRecorded(row.stripeObjectId, row.expiresAt);
    }
  }
  report("in_progress");
  throw inProgress(null);
}

/** A key row this request holds the lock of, and what the operation needs to know of it. */
type Owned = KeyLock & { recovered: boolean; generation: number; createdAt: number; expiresAt: Date };

/** Phases 3–5 on a row we hold: run the operation, then record, forget, release or flag. Null if fenced out. */
async function runOwned(
  owned: Owned,
  operation: Operation,
  { report, log }: { report: (outcome: IdempotencyOutcome) => void; log: Logger },
): Promise<KeyedResponse | null> {
  // No-ops in the app. The chaos suite's build dies here holding the lock (before Stripe is
  // called, right after it answered, just before recording) to prove that another instance
  // re-drives the key to the same single PaymentIntent (phase-hooks.ts).
  atPhase("after-claim");
  let final: FinalOutcome;
  try {
    final = await operation({
      keyId: owned.keyId,
      recovered: owned.recovered,
      createdAt: owned.createdAt,
      stripeKey: (kind) => (owned.generation === 0 ? `${kind}/${owned.keyId}` : `${kind}/${owned.keyId}/${owned.generation}`),
      retireStripeKey: async () => {
        const generation = await keys.advanceStripeKeyGeneration(owned);
        log.warn({ idempotencyKeyId: owned.keyId, stripeKeyGeneration: generation }, "Stripe key retired after a stored failure");
      },
    });
  } catch (error) {
    await settleFailure(owned, error, { report, log });
    throw error;
  }
  atPhase("after-stripe-call");
  atPhase("before-complete");
  const recorded = await recordFinalOutcome(owned, final, log);
  switch (recorded.result) {
    case "completed":
      report(owned.recovered ? "recovered" : "created");
      return { status: final.status, body: recorded.body, replayed: false, expiresAt: owned.expiresAt };
    case "fenced":
      return null;
    case "flagged":
      report("flagged");
      throw notRecorded(final.stripeObjectId, owned.expiresAt);
  }
}

/**
 * What the key becomes when the operation threw:
 * - a transient failure (Stripe or PostgreSQL unavailable) → released: the retry re-drives
 *   the same Stripe key, so a call that did reach Stripe is replayed, not repeated;
 * - a refusal (4xx) before any side effect, on a row this request created → forgotten, so
 *   the corrected request may reuse the key;
 * - anything else (a bug, an unexpected Stripe error, a refusal on a re-drive, which an
 *   earlier attempt may have got past) → flagged: re-driving would fail the same way for
 *   ever, so the reconciler looks the outcome up in Stripe instead.
 */
async function settleFailure(owned: Owned, error: unknown, { report, log }: { report: (o: IdempotencyOutcome) => void; log: Logger }) {
  const transient = isDatabaseUnavailable(error) || (error instanceof ApiError && error.status === 503);
  const refusedUpFront = error instanceof ApiError && error.status < 500 && !owned.recovered;
  // The key outlives this answer unless it is forgotten: say until when it holds.
  if (error instanceof ApiError && !refusedUpFront) Object.assign(error.headers, keyExpiryHeaders(owned.expiresAt));
  try {
    if (transient) {
      report("released");
      await keys.release(owned);
    } else if (refusedUpFront) {
      await keys.forget(owned);
    } else {
      report("flagged");
      log.error({ err: error, idempotencyKeyId: owned.keyId }, "keyed request failed for good; key flagged for reconciliation");
      await keys.flagForReconciliation(owned, null);
    }
  } catch {
    // PostgreSQL is gone: the lock goes stale after the lock timeout and the key is re-driven.
  }
}

export type Recorded = { result: "completed"; body: string } | { result: "fenced" } | { result: "flagged" };

/**
 * Phase 4, charged ⇒ recorded: complete the key with the answer and its rows; if PostgreSQL
 * refuses that write (not merely unreachable), with the fallback built from Stripe's own
 * fields; if it refuses that too, flag the key with the Stripe object's id, so that retries
 * are told what happened and `npm run reconcile` records it once the fault is gone. Never
 * leaves the key locked for a refused write. Also used by the reconciler.
 */
export async function recordFinalOutcome(lock: KeyLock, final: FinalOutcome, log: Logger): Promise<Recorded> {
  const attempts = final.fallback ? [final, final.fallback] : [final];
  for (const attempt of attempts) {
    const body = JSON.stringify(attempt.body);
    try {
      const completed = await keys.complete(lock, { status: final.status, body, stripeObjectId: final.stripeObjectId, write: attempt.write });
      return completed ? { result: "completed", body } : { result: "fenced" };
    } catch (error) {
      // Unreachable is a crash by another name: the lock goes stale and a retry re-drives,
      // hitting Stripe's replay. Nothing could be flagged anyway.
      if (isDatabaseUnavailable(error)) throw error;
      log.error(
        { err: error, idempotencyKeyId: lock.keyId, stripeObjectId: final.stripeObjectId, fallback: attempt !== final },
        "the database refused to record a Stripe outcome",
      );
    }
  }
  const flagged = await keys.flagForReconciliation(lock, final.stripeObjectId);
  if (!flagged) return { result: "fenced" };
  log.error(
    { idempotencyKeyId: lock.keyId, stripeObjectId: final.stripeObjectId },
    `${final.stripeObjectId} is not recorded; key flagged for reconciliation (npm run reconcile)`,
  );
  return { result: "flagged" };
}

function inProgress(expiresAt: Date | null): ApiError {
  return new ApiError(
    "idempotency_request_in_progress",
    "A request with this Idempotency-Key is still being processed. Retry with the same key.",
    { retryAfter: IN_PROGRESS_RETRY_AFTER, headers: expiresAt ? keyExpiryHeaders(expiresAt) : {} },
  );
}

/**
 * `Idempotency-Key-Expires` (an HTTP-date, like `Expires`): until when the key's answer is
 * replayed. Before it, retry with the same key; after it, the same key starts a new request,
 * so a client that still has no answer checks the payments list (docs/API.md).
 */
export function keyExpiryHeaders(expiresAt: Date): Record<string, string> {
  return { "Idempotency-Key-Expires": expiresAt.toUTCString() };
}

/** The answer for a key that only the reconciler can finish: definite, and naming what Stripe holds. */
function notRecorded(stripeObjectId: string | null, expiresAt: Date): ApiError {
  const what = stripeObjectId
    ? `The payment provider processed this request (${stripeObjectId}), but its outcome could not be recorded yet.`
    : "This request was interrupted, and its outcome at the payment provider is not recorded yet.";
  return new ApiError(
    "outcome_not_recorded",
    `${what} Do not send it again under a new Idempotency-Key: it is being reconciled, and a retry with this key will then return the final answer.`,
    { extensions: { stripeObjectId }, headers: keyExpiryHeaders(expiresAt) },
  );
}

/** Deletes a row this request claimed and ran nothing for; if PostgreSQL is gone, its lock goes stale instead. */
async function forgetQuietly(lock: KeyLock): Promise<void> {
  await keys.forget(lock).catch(() => {});
}

function defaultTimings(): KeyTimings {
  const { IDEMPOTENCY_TTL, IDEMPOTENCY_LOCK_TIMEOUT } = env();
  return { ttlSeconds: IDEMPOTENCY_TTL, lockTimeoutSeconds: IDEMPOTENCY_LOCK_TIMEOUT };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
