import path from "node:path";
import pg from "pg";

/** One statement as the app sent it to PostgreSQL through node-postgres. */
export type CapturedQuery = {
  text: string;
  values: readonly unknown[] | undefined;
  /** The prepared-statement name, when the query was sent as a named prepared statement. */
  name: string | null;
  /** `pool`: Pool#query (a checkout of its own); `client`: Client#query on a checked-out client (transactions). */
  via: "pool" | "client";
  /** The label of the step (SqlCapture.step) it was sent in. */
  step: string;
  /** Frames of src/ on the way to the driver, innermost first ("src/server/…/file.ts:line (function)"). */
  origin: string[];
};

export type SqlCapture = {
  readonly queries: readonly CapturedQuery[];
  /** Records every statement `work` sends, labelled `label`; statements outside a step are not recorded. */
  step<T>(label: string, work: () => Promise<T>): Promise<T>;
  /** Puts node-postgres back as it was. */
  uninstall(): void;
};

type QueryFunction = (...args: unknown[]) => unknown;

/**
 * Wraps node-postgres's two entry points, pg.Pool.prototype.query and pg.Client.prototype.query:
 * Prisma's @prisma/adapter-pg sends a statement outside a transaction with Pool#query, and a
 * transaction's (BEGIN, its statements, COMMIT) with Client#query on a client it checked out
 * with pool.connect(); src/server/db.ts's sqlRows uses Pool#query. Pool#query itself checks a
 * client out and calls Client#query with the same arguments: that inner call is recognised
 * (the pool hands on a config object of its own, marked) and not recorded a second time.
 */
export function captureSql(): SqlCapture {
  const queries: CapturedQuery[] = [];
  const fromPool = new WeakSet<object>();
  let current: string | null = null;
  const poolQuery = pg.Pool.prototype.query as unknown as QueryFunction;
  const clientQuery = pg.Client.prototype.query as unknown as QueryFunction;

  const record = (args: unknown[], via: CapturedQuery["via"]) => {
    if (current === null) return;
    const [first, second] = args;
    const config = typeof first === "string" ? { text: first } : ((first ?? {}) as { text?: unknown; values?: unknown; name?: unknown });
    queries.push({
      text: typeof config.text === "string" ? config.text : String(config.text),
      values: Array.isArray(second) ? second : Array.isArray(config.values) ? config.values : undefined,
      name: typeof config.name === "string" && config.name !== "" ? config.name : null,
      via,
      step: current,
      origin: srcFrames(stackHere()),
    });
  };

  pg.Pool.prototype.query = function (this: pg.Pool, ...args: unknown[]) {
    record(args, "pool");
    const [first] = args;
    // A config object of this call's own (a string becomes { text }, which Client#query reads the same).
    if (typeof first === "string" || isPlainObject(first)) {
      const own = typeof first === "string" ? { text: first } : { ...(first as object) };
      fromPool.add(own);
      args[0] = own;
    } else if (typeof first === "object" && first !== null) {
      fromPool.add(first); // a Submittable (Query, Cursor): one run per object
    }
    return poolQuery.apply(this, args);
  } as unknown as typeof pg.Pool.prototype.query;

  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [first] = args;
    const viaPool = typeof first === "object" && first !== null && fromPool.has(first);
    if (viaPool) fromPool.delete(first);
    else record(args, "client");
    return clientQuery.apply(this, args);
  } as unknown as typeof pg.Client.prototype.query;

  return {
    queries,
    async step<T>(label: string, work: () => Promise<T>): Promise<T> {
      if (current !== null) throw new Error(`step "${label}" inside step "${current}"`);
      current = label;
      try {
        return await work();
      } finally {
        current = null;
      }
    },
    uninstall() {
      pg.Pool.prototype.query = poolQuery as unknown as typeof pg.Pool.prototype.query;
      pg.Client.prototype.query = clientQuery as unknown as typeof pg.Client.prototype.query;
    },
  };
}

/** The current stack, deep enough to reach the app's frames under Prisma's and node-postgres's. */
function stackHere(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 80;
  try {
    return new Error().stack ?? "";
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function isPlainObject(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** The src/ frames of a stack, relative to the working directory, innermost first. */
function srcFrames(stack: string): string[] {
  const frames: string[] = [];
  for (const line of stack.split("\n").slice(1)) {
    const match = /at (?:async )?(?:(\S+) \()?(.+?):(\d+):\d+\)?$/.exec(line.trim());
    if (!match) continue;
    const [, fn, file = "", lineNumber] = match;
    const relative = path.relative(process.cwd(), file.replace(/^file:\/\//, ""));
    if (!relative.startsWith(`src${path.sep}`)) continue;
    frames.push(`${relative.split(path.sep).join("/")}:${lineNumber}${fn ? ` (${fn})` : ""}`);
  }
  return frames;
}
