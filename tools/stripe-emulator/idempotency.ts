import type { FormObject, FormValue } from "./form-decode";

/** Stripe prunes keys once they are at least 24 hours old; a reused key after that runs anew. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export interface RequestFingerprint {
  method: string;
  path: string;
  /** Canonical JSON of the decoded parameters, so key order in the body does not matter. */
  params: string;
}

export interface StoredResponse {
  status: number;
  body: string;
  requestId: string;
}

export interface SavedIdempotencyKey {
  key: string;
  fingerprint: RequestFingerprint;
  createdAt: number;
  response: StoredResponse;
}

type Entry =
  | { state: "in_progress"; fingerprint: RequestFingerprint; createdAt: number }
  | { state: "completed"; fingerprint: RequestFingerprint; createdAt: number; response: StoredResponse };

export type ClaimResult =
  | { outcome: "claimed" }
  | { outcome: "replay"; response: StoredResponse }
  | { outcome: "in_progress" }
  | { outcome: "mismatch"; message: string };

/**
 * One account's idempotency keys. A key is claimed before the endpoint runs and either completed
 * with the response to replay, or released when the result must not be kept (validation errors,
 * injected faults) so that a retry with the same key executes again.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs: number,
  ) {}

  claim(key: string, fingerprint: RequestFingerprint): ClaimResult {
    this.pruneExpired();
    const entry = this.entries.get(key);
    if (!entry) {
      this.entries.set(key, { state: "in_progress", fingerprint, createdAt: this.now() });
      return { outcome: "claimed" };
    }
    const mismatch = describeMismatch(key, entry.fingerprint, fingerprint);
    if (mismatch) return { outcome: "mismatch", message: mismatch };
    if (entry.state === "in_progress") return { outcome: "in_progress" };
    return { outcome: "replay", response: entry.response };
  }

  complete(key: string, response: StoredResponse): void {
    const entry = this.entries.get(key);
    if (entry?.state !== "in_progress") return;
    this.entries.set(key, { ...entry, state: "completed", response });
  }

  release(key: string): void {
    if (this.entries.get(key)?.state === "in_progress") this.entries.delete(key);
  }

  /** Completed keys in claim order, for saving the emulator's state (persistence.ts). */
  completedKeys(): SavedIdempotencyKey[] {
    const saved: SavedIdempotencyKey[] = [];
    for (const [key, entry] of this.entries) {
      if (entry.state === "completed") saved.push({ key, fingerprint: entry.fingerprint, createdAt: entry.createdAt, response: entry.response });
    }
    return saved;
  }

  /** Puts saved keys back; a request still running when the state was saved died with the process. */
  restore(saved: readonly SavedIdempotencyKey[]): void {
    for (const { key, fingerprint, createdAt, response } of saved) {
      this.entries.set(key, { state: "completed", fingerprint, createdAt, response });
    }
  }

  /** Map order is claim order, so expired keys sit at the front. */
  private pruneExpired(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [key, entry] of this.entries) {
      if (entry.createdAt > cutoff) return;
      if (entry.state === "completed") this.entries.delete(key);
    }
  }
}

function describeMismatch(key: string, first: RequestFingerprint, retry: RequestFingerprint): string | null {
  if (first.method !== retry.method || first.path !== retry.path) {
    return (
      `Keys for idempotent requests can only be used for the same endpoint they were first used for ` +
      `('${first.method} ${first.path}' vs '${retry.method} ${retry.path}'). ` +
      `Try using a key other than '${key}' if you meant to execute a different request.`
    );
  }
  if (first.params !== retry.params) {
    return (
      `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
      `Try using a key other than '${key}' if you meant to execute a different request.`
    );
  }
  return null;
}

export function canonicalParams(form: FormObject): string {
  return JSON.stringify(sortKeys(form));
}

function sortKeys(value: FormValue): FormValue {
  if (typeof value === "string") return value;
  const sorted: FormObject = {};
  for (const key of Object.keys(value).sort()) {
    const child = value[key];
    if (child !== undefined) sorted[key] = sortKeys(child);
  }
  return sorted;
}
