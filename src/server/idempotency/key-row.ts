import "server-only";

/** What the engine reads of an idempotency_keys row, with clock checks made by PostgreSQL. */
export type KeyRow = {
  id: string;
  requestHash: string;
  lockToken: string | null;
  recoveryPoint: "started" | "finished";
  responseStatus: number | null;
  /** Exact text of the stored response body (`json` column read as text). */
  responseBody: string | null;
  /** True when this claim created the row. */
  inserted: boolean;
  expired: boolean;
  /** Locked, and the lock is younger than the lock timeout: its owner is presumably alive. */
  lockHeld: boolean;
  /** Old enough that Stripe may have forgotten its own key: do not re-drive, reconcile. */
  tooOldToRedrive: boolean;
};

export type KeyScope = {
  userId: string;
  key: string;
  method: string;
  path: string;
  requestHash: string;
};

export type KeyTimings = {
  ttlSeconds: number;
  lockTimeoutSeconds: number;
};

/** Stripe keeps idempotency keys 24 h; leave an hour of margin before re-driving a call. */
export const REDRIVE_WINDOW_HOURS = 23;
