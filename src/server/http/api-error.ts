import "server-only";
import { ERROR_CODES, type ErrorCode } from "@/lib/error-codes";
import type { ProblemExtensions } from "@/lib/schemas/problem";

type Options = {
  /** Extra members of the problem document, e.g. field errors (declared in src/lib/schemas/problem.ts). */
  extensions?: ProblemExtensions;
  /** Sets `Retry-After` (seconds). */
  retryAfter?: number;
  headers?: Record<string, string>;
  cause?: unknown;
};

/** The one error type of the API; the route wrapper turns it into problem+json. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: number;
  readonly extensions: ProblemExtensions;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string = ERROR_CODES[code].title,
    options: Options = {},
  ) {
    super(detail, { cause: options.cause });
    this.status = ERROR_CODES[code].status;
    this.extensions = options.extensions ?? {};
    this.headers = { ...options.headers };
    if (options.retryAfter !== undefined) this.headers["Retry-After"] = String(options.retryAfter);
  }
}
