import { invalidRequest, missingParam } from "./errors";
import type { FormObject, FormValue } from "./form-decode";
import type { Metadata } from "./objects";

export interface RangeFilter {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

const METADATA_MAX_KEYS = 50;
const METADATA_KEY_MAX_LENGTH = 40;
const METADATA_VALUE_MAX_LENGTH = 500;

/**
 * Typed, validating access to decoded form parameters. Every failure is a 400
 * `invalid_request_error` naming the parameter the way Stripe does (`automatic_payment_methods[enabled]`).
 */
export class Params {
  constructor(
    private readonly values: FormObject,
    private readonly prefix = "",
  ) {}

  /** Stripe rejects parameters it does not know instead of ignoring them, so typos fail loudly. */
  allowOnly(names: readonly string[]): this {
    const unknown = Object.keys(this.values).find((name) => !names.includes(name));
    if (unknown !== undefined) {
      const param = this.nameOf(unknown);
      throw invalidRequest(`Received unknown parameter: ${param}`, { param, code: "parameter_unknown" });
    }
    return this;
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  string(name: string): string | undefined {
    const value = this.values[name];
    if (value === undefined || typeof value === "string") return value;
    throw invalidRequest(`Invalid string: ${describe(value)}`, { param: this.nameOf(name) });
  }

  requiredString(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === "") throw missingParam(this.nameOf(name));
    return value;
  }

  integer(name: string): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value)) {
      throw invalidRequest(`Invalid integer: ${raw}`, {
        param: this.nameOf(name),
        code: "parameter_invalid_integer",
      });
    }
    return value;
  }

  requiredInteger(name: string): number {
    const value = this.integer(name);
    if (value === undefined) throw missingParam(this.nameOf(name));
    return value;
  }

  boolean(name: string): boolean | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (raw === "true") return true;
    if (raw === "false") return false;
    throw invalidRequest(`Invalid boolean: ${raw}`, { param: this.nameOf(name) });
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const value = allowed.find((candidate) => candidate === raw);
    if (value === undefined) {
      throw invalidRequest(`Invalid ${this.nameOf(name)}: must be one of ${allowed.join(", ")}`, {
        param: this.nameOf(name),
      });
    }
    return value;
  }

  object(name: string): Params | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    if (typeof value === "string") throw invalidRequest("Invalid object", { param: this.nameOf(name) });
    return new Params(value, this.nameOf(name));
  }

  /** A list sent as `name[0]=a&name[1]=b` (or `name[]=a`). */
  stringList(name: string): string[] | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    const indexes = typeof value === "object" ? Object.keys(value) : [];
    if (typeof value === "string" || indexes.some((index) => !/^\d+$/.test(index))) {
      throw invalidRequest("Invalid array", { param: this.nameOf(name) });
    }
    const list = new Params(value, this.nameOf(name));
    return indexes
      .sort((a, b) => Number(a) - Number(b))
      .map((index) => list.requiredString(index));
  }

  /** `metadata[key]=value`; an empty `metadata=` clears it, an empty value removes the key. */
  metadata(name = "metadata"): Metadata | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    if (value === "") return {};
    if (typeof value === "string") throw invalidRequest("Invalid object", { param: this.nameOf(name) });
    const entries = Object.entries(value);
    if (entries.length > METADATA_MAX_KEYS) {
      throw invalidRequest(
        `Invalid metadata: metadata can have up to ${METADATA_MAX_KEYS} keys, but you passed in ${entries.length} keys.`,
        { param: this.nameOf(name) },
      );
    }
    const metadata: Metadata = {};
    for (const [key, entry] of entries) {
      const param = `${this.nameOf(name)}[${key}]`;
      if (typeof entry !== "string") throw invalidRequest("Invalid string: metadata values must be strings", { param });
      if (key.length > METADATA_KEY_MAX_LENGTH) {
        throw invalidRequest(
          `Metadata keys can have up to ${METADATA_KEY_MAX_LENGTH} characters, but you passed in a key with ${key.length} characters.`,
          { param },
        );
      }
      if (entry.length > METADATA_VALUE_MAX_LENGTH) {
        throw invalidRequest(
          `Metadata values can have up to ${METADATA_VALUE_MAX_LENGTH} characters, but you passed in a value with ${entry.length} characters.`,
          { param },
        );
      }
      if (entry !== "") metadata[key] = entry;
    }
    return metadata;
  }

  /** `created=123` (exact) or `created[gte]=…&created[lt]=…`. */
  range(name: string): RangeFilter | undefined {
    const value = this.values[name];
    if (value === undefined) return undefined;
    if (typeof value === "string") {
      const exact = this.requiredInteger(name);
      return { gte: exact, lte: exact };
    }
    const bounds = new Params(value, this.nameOf(name)).allowOnly(["gt", "gte", "lt", "lte"]);
    return {
      gt: bounds.integer("gt"),
      gte: bounds.integer("gte"),
      lt: bounds.integer("lt"),
      lte: bounds.integer("lte"),
    };
  }

  /** The parameter's full name as Stripe reports it, e.g. `payment_method_data[card]`. */
  nameOf(name: string): string {
    return this.prefix === "" ? name : `${this.prefix}[${name}]`;
  }
}

function describe(value: FormValue): string {
  return JSON.stringify(value);
}

export function inRange(value: number, range: RangeFilter | undefined): boolean {
  if (!range) return true;
  return (
    (range.gt === undefined || value > range.gt) &&
    (range.gte === undefined || value >= range.gte) &&
    (range.lt === undefined || value < range.lt) &&
    (range.lte === undefined || value <= range.lte)
  );
}
