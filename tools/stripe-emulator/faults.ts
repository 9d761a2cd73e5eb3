/**
 * Failures the emulator injects into /v1 requests, so clients can be tested against the ways a
 * payment provider really fails. Counters (`failNext`, `dropNext`, `hangNext`) are deterministic
 * and meant for tests; rates are for chaos runs.
 */
export interface Faults {
  /** Added to every request before it is answered (for idempotent POSTs: while the key is held). */
  latencyMs: number;
  /** Share of requests answered 500 `api_error` before anything is processed. */
  errorRate: number;
  /** The next N requests are answered 500 `api_error` before anything is processed. */
  failNext: number;
  /** Share of requests processed (and their idempotent result stored) whose connection is then dropped. */
  dropAfterProcessRate: number;
  /** The next N requests are processed, then the connection is dropped without an answer. */
  dropNext: number;
  /** How long a hung response is held before it is sent (meant to exceed the client's timeout). */
  hangMs: number;
  /** The next N requests are processed, then their response is held for `hangMs`. */
  hangNext: number;
  /** When set, faults apply only to request paths starting with it (e.g. "/v1/refunds"). */
  pathPrefix: string | null;
}

export type FaultKind = "error" | "drop" | "hang";

export interface FaultPlan {
  latencyMs: number;
  failure: FaultKind | null;
  hangMs: number;
}

export const NO_FAULTS: Faults = {
  latencyMs: 0,
  errorRate: 0,
  failNext: 0,
  dropAfterProcessRate: 0,
  dropNext: 0,
  hangMs: 30_000,
  hangNext: 0,
  pathPrefix: null,
};

const NO_PLAN: FaultPlan = { latencyMs: 0, failure: null, hangMs: 0 };

export class FaultInjector {
  private faults: Faults;
  private readonly initial: Faults;

  constructor(
    initial: Partial<Faults> = {},
    private readonly random: () => number = Math.random,
  ) {
    this.initial = validFaults({ ...NO_FAULTS, ...initial });
    this.faults = { ...this.initial };
  }

  current(): Faults {
    return { ...this.faults };
  }

  set(changes: Partial<Faults>): Faults {
    this.faults = validFaults({ ...this.faults, ...changes });
    return this.current();
  }

  /** Back to the faults the emulator was started with. */
  reset(): Faults {
    this.faults = { ...this.initial };
    return this.current();
  }

  /** Decides, and consumes counters for, what happens to one request. */
  plan(path: string): FaultPlan {
    const faults = this.faults;
    if (faults.pathPrefix !== null && !path.startsWith(faults.pathPrefix)) return NO_PLAN;
    return { latencyMs: faults.latencyMs, failure: this.pickFailure(), hangMs: faults.hangMs };
  }

  private pickFailure(): FaultKind | null {
    const faults = this.faults;
    if (faults.failNext > 0) {
      faults.failNext -= 1;
      return "error";
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
}

const RATE_FIELDS = ["errorRate", "dropAfterProcessRate"] as const;
const COUNT_FIELDS = ["latencyMs", "failNext", "dropNext", "hangMs", "hangNext"] as const;

function validFaults(faults: Faults): Faults {
  for (const field of RATE_FIELDS) {
    const value = faults[field];
    if (!(value >= 0 && value <= 1)) throw new RangeError(`${field} must be between 0 and 1, got ${value}`);
  }
  for (const field of COUNT_FIELDS) {
    const value = faults[field];
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`${field} must be a non-negative integer, got ${value}`);
    }
  }
  if (faults.pathPrefix !== null && typeof faults.pathPrefix !== "string") {
    throw new RangeError("pathPrefix must be a string or null");
  }
  return faults;
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
    const numeric = [...RATE_FIELDS, ...COUNT_FIELDS].find((name) => name === field);
    if (numeric === undefined) throw new RangeError(`Unknown fault: ${field}`);
    if (typeof value !== "number") throw new RangeError(`${field} must be a number`);
    changes[numeric] = value;
  }
  return changes;
}
