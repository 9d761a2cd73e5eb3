import { ERROR_CODES, type ErrorCode } from "./error-codes";

type Options = {
  /** Extra members of the problem document, e.g. field errors or a decline code. */
  extensions?: Record<string, unknown>;
  /** Sets `Retry-After` (seconds). */
  retryAfter?: number;
  headers?: Record<string, string>;
  cause?: unknown;
};

/** The one error type of the API; the route wrapper turns it into problem+json. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: number;
  readonly extensions: Record<string, unknown>;
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
