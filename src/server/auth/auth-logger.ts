import "server-only";
import { logger } from "@/server/logger";

// Errors a client causes (a wrong password, a stale CSRF token) are not faults of this
// server: they are logged as warnings, so that alerts on error-level logs stay meaningful.
const CLIENT_ERROR_TYPES = new Set([
  "CredentialsSignin",
  "OAuthAccountNotLinked",
  "OAuthCallbackError",
  "AccessDenied",
  "Verification",
  "MissingCSRF",
  "AccountNotLinked",
]);

type AuthLogger = {
  error(error: Error): void;
  warn(code: string): void;
  debug(message: string, metadata?: unknown): void;
};

/**
 * Routes Auth.js's own logging into the app's JSON logger. Its default writes to the
 * console, which would leak into test output and bypass redaction.
 */
export function authLogger(): AuthLogger {
  const log = logger().child({ component: "auth" });
  return {
    error(error) {
      const type = "type" in error && typeof error.type === "string" ? error.type : error.name;
      if (CLIENT_ERROR_TYPES.has(type)) log.warn({ authError: type }, "sign-in rejected");
      else log.error({ err: error, authError: type }, "auth error");
    },
    warn(code) {
      log.warn({ code }, "auth warning");
    },
    debug(message, metadata) {
      log.debug({ metadata }, message);
    },
  };
}
