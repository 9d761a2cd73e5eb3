import type { DeliveryFaults } from "./webhooks";

/**
 * Failures the emulator injects, so clients can be tested against the ways a payment provider
 * really fails. Counters (`…Next`) are deterministic and meant for tests; rates are for chaos
 * runs and can be made repeatable with `seed`.
 */
export interface Faults {
  /** Added to every request before it is answered (for idempotent POSTs: while the key is held). */
  latencyMs: number;
  /** Share of requests answered 500 `api_error` before anything is processed. */
  errorRate: number;
  /** The next N requests are answered 500 `api_error` before anything is processed. */
  failNext: number;
  /**
   * The next N requests fail with a 500 `api_error` once the endpoint has begun executing: nothing
   * is created, and the 500 is stored under the idempotency key and replayed for every retry.
   */
  failStoredNext: number;
  /**
   * The next N requests are processed (objects and events are created), yet answered with a 500
   * `api_error` that is stored under the idempotency key and replayed for every retry.
   */
  failStoredAfterProcessNext: number;
  /** Share of requests processed (and their idempotent result stored) whose connection is then dropped. */
  dropAfterProcessRate: number;
  /** The next N requests are processed, then the connection is dropped without an answer. */
  dropNext: number;
  /** How long a hung response is held before it is sent (meant to exceed the client's timeout). */
  hangMs: number;
  /** The next N requests are processed, then their response is held for `hangMs`. */
  hangNext: number;
  /**
   * Requests per second each account (secret key) may make before it is answered 429; null or 0
   * turns the limiter off. Stripe allows about 25 in test mode and 100 in live mode.
   */
  rateLimitPerSecond: number | null;
  /** The next N requests are answered 429 `rate_limit`, as if the account were over its limit. */
  rateLimitNext: number;
  /** How long after its creation or last change a PaymentIntent's new state becomes searchable. */
  searchLagMs: number;
  /** When set, the request faults above apply only to paths starting with it (e.g. "/v1/refunds"). */
  pathPrefix: string | null;
  /** First delivery attempts of webhook events that may be in flight at once (1: one at a time). */
  webhookConcurrency: number;
  /** First delivery attempts start in random order instead of the order the events happened. */
  webhookShuffle: boolean;
  /** Share of events delivered twice (same event id). */
  webhookDuplicateRate: number;
  /** The next N events are delivered twice (same event id). */
  webhookDuplicateNext: number;
  /** Seeds every random choice above (rates, shuffle), so a chaos run can be repeated; null = Math.random. */
  seed: number | null;
}

export type FaultKind =
  | "error"
  | "stored_error"
  | "stored_error_after_process"
  | "drop"
  | "hang"
  | "rate_limit";

/** What happens to one request, decided (and counters consumed) when it arrives. */
export interface FaultPlan {
  latencyMs: number;
  failure: Exclude<FaultKind, "rate_limit"> | null;
  /** Answered 429 by `rateLimitNext`, before anything else is looked at. */
  rateLimited: boolean;
  hangMs: number;
}

export const NO_FAULTS: Faults = {
  latencyMs: 0,
  errorRate: 0,
  failNext: 0,
  failStoredNext: 0,
  failStoredAfterProcessNext: 0,
  dropAfterProcessRate: 0,
  dropNext: 0,
  hangMs: 30_000,
  hangNext: 0,
  rateLimitPerSecond: null,
  rateLimitNext: 0,
  searchLagMs: 0,
  pathPrefix: null,
  webhookConcurrency: 1,
  webhookShuffle: false,
  webhookDuplicateRate: 0,
  webhookDuplicateNext: 0,
  seed: null,
};

const NO_PLAN: FaultPlan = { latencyMs: 0, failure: null, rateLimited: false, hangMs: 0 };

const ONE_SECOND_MS = 1_000;

export class FaultInjector implements DeliveryFaults {
  private faults: Faults;
  private readonly initial: Faults;
  private random: () => number;
  /** Per secret key: when its admitted requests of the last second arrived (ms, oldest first). */
  private readonly admitted = new Map<string, number[]>();

  constructor(
    initial: Partial<Faults> = {},
    private readonly unseededRandom: () => number = Math.random,
  ) {
    this.initial = validFaults({ ...NO_FAULTS, ...initial });
    this.faults = { ...this.initial };
    this.random = this.randomFor(this.faults.seed);
  }

  current(): Faults {
    return { ...this.faults };
  }

  set(changes: Partial<Faults>): Faults {
    this.faults = validFaults({ ...this.faults, ...changes });
    if ("seed" in changes) this.random = this.randomFor(this.faults.seed);
    return this.current();
  }

  /** Back to the faults the emulator was started with. */
  reset(): Faults {
    this.faults = { ...this.initial };
    this.random = this.randomFor(this.faults.seed);
    return this.current();
  }

  /**
   * Decides, and consumes counters for, what happens to one request. `accountKey` (the secret
   * key, when there is a valid one) is what the rate limiter counts against.
   */
  plan(path: string, accountKey?: string, nowMs = 0): FaultPlan {
    const faults = this.faults;
    if (faults.pathPrefix !== null && !path.startsWith(faults.pathPrefix)) return NO_PLAN;
    const limited = { latencyMs: faults.latencyMs, failure: null, rateLimited: true, hangMs: faults.hangMs };
    if (faults.rateLimitNext > 0) {
      faults.rateLimitNext -= 1;
      return limited;
    }
    if (accountKey !== undefined && !this.admit(accountKey, nowMs)) return limited;
    return { latencyMs: faults.latencyMs, failure: this.pickFailure(), rateLimited: false, hangMs: faults.hangMs };
  }

  /** Forgets the rate limiter's windows (on reset). */
  forgetRequestHistory(): void {
    this.admitted.clear();
  }

  /** The current search lag, read on every search so it can change at run time. */
  searchLagMs(): number {
    return this.faults.searchLagMs;
  }

  webhookConcurrency(): number {
    return this.faults.webhookConcurrency;
  }

  nextWebhook(waiting: number): number {
    return this.faults.webhookShuffle ? Math.floor(this.random() * waiting) : 0;
  }

  duplicateWebhook(): boolean {
    const faults = this.faults;
    if (faults.webhookDuplicateNext > 0) {
      faults.webhookDuplicateNext -= 1;
      return true;
    }
    return faults.webhookDuplicateRate > 0 && this.random() < faults.webhookDuplicateRate;
  }

  /**
   * Counts a request against its account's budget (`rateLimitPerSecond`) over a sliding
   * one-second window. Only admitted requests count, so a client that backs off for a second gets
   * through again; refused ones never reach the API.
   */
  private admit(accountKey: string, nowMs: number): boolean {
    const limit = this.faults.rateLimitPerSecond;
    if (!limit) return true;
    const recent = (this.admitted.get(accountKey) ?? []).filter((at) => at > nowMs - ONE_SECOND_MS);
    const allowed = recent.length < limit;
    if (allowed) recent.push(nowMs);
    this.admitted.set(accountKey, recent);
    return allowed;
  }

  private pickFailure(): FaultPlan["failure"] {
    const faults = this.faults;
    if (faults.failNext > 0) {
      faults.failNext -= 1;
      return "error";
    }
    if (faults.failStoredNext > 0) {
      faults.failStoredNext -= 1;
      return "stored_error";
    }
    if (faults.failStoredAfterProcessNext > 0) {
      faults.failStoredAfterProcessNext -= 1;
      return "stored_error_after_process";
    }
    if (faults.dropNext > 0) {
      faults.dropNext -= 1;
      return "drop";
    }
    if (faults.hangNext > 0) {
      faults.hangNext -= 1;
      return "hang";
    }
    if (faults.errorRate > 0 && this.random() < faults.errorRate) return "error";
    if (faults.dropAfterProcessRate > 0 && this.random() < faults.dropAfterProcessRate) return "drop";
    return null;
  }

  private randomFor(seed: number | null): () => number {
    return seed === null ? this.unseededRandom : mulberry32(seed);
  }
}

/** A small seeded PRNG (public-domain mulberry32): the same seed gives the same sequence. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const RATE_FIELDS = ["errorRate", "dropAfterProcessRate", "webhookDuplicateRate"] as const;
const COUNT_FIELDS = [
  "latencyMs",
  "failNext",
  "failStoredNext",
  "failStoredAfterProcessNext",
  "dropNext",
  "hangMs",
  "hangNext",
  "rateLimitNext",
  "searchLagMs",
  "webhookDuplicateNext",
] as const;
const NULLABLE_COUNT_FIELDS = ["rateLimitPerSecond", "seed"] as const;

function validFaults(faults: Faults): Faults {
  for (const field of RATE_FIELDS) {
    const value = faults[field];
    if (!(value >= 0 && value <= 1)) throw new RangeError(`${field} must be between 0 and 1, got ${value}`);
  }
  for (const field of COUNT_FIELDS) checkCount(field, faults[field]);
  for (const field of NULLABLE_COUNT_FIELDS) {
    const value = faults[field];
    if (value !== null) checkCount(field, value);
  }
  if (!Number.isInteger(faults.webhookConcurrency) || faults.webhookConcurrency < 1) {
    throw new RangeError(`webhookConcurrency must be a positive integer, got ${faults.webhookConcurrency}`);
  }
  if (typeof faults.webhookShuffle !== "boolean") throw new RangeError("webhookShuffle must be a boolean");
  if (faults.pathPrefix !== null && typeof faults.pathPrefix !== "string") {
    throw new RangeError("pathPrefix must be a string or null");
  }
  return faults;
}

function checkCount(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${field} must be a non-negative integer, got ${value}`);
  }
}

/** Reads a JSON body (admin endpoint) into fault changes, rejecting unknown or mistyped fields. */
export function parseFaultChanges(input: unknown): Partial<Faults> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new RangeError("Expected a JSON object of faults");
  }
  const changes: Partial<Faults> = {};
  for (const [field, value] of Object.entries(input)) {
    if (field === "pathPrefix") {
      if (value !== null && typeof value !== "string") throw new RangeError("pathPrefix must be a string or null");
      changes.pathPrefix = value;
      continue;
    }
    if (field === "webhookShuffle") {
      if (typeof value !== "boolean") throw new RangeError("webhookShuffle must be a boolean");
      changes.webhookShuffle = value;
      continue;
    }
    const nullable = NULLABLE_COUNT_FIELDS.find((name) => name === field);
    if (nullable !== undefined) {
      if (value !== null && typeof value !== "number") throw new RangeError(`${field} must be a number or null`);
      changes[nullable] = value;
      continue;
    }
    const numeric = [...RATE_FIELDS, ...COUNT_FIELDS, "webhookConcurrency" as const].find((name) => name === field);
    if (numeric === undefined) throw new RangeError(`Unknown fault: ${field}`);
    if (typeof value !== "number") throw new RangeError(`${field} must be a number`);
    changes[numeric] = value;
  }
  return changes;
}
