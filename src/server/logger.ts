import "server-only";
import pino from "pino";
import { env } from "@/env";

export type Logger = pino.Logger;

let instance: Logger | undefined;

/** The process's JSON logger (stdout). */
export function logger(): Logger {
  instance ??= pino(loggerOptions());
  return instance;
}

/**
 * Redaction is a safety net: code should not log secrets in the first place, but a stray
 * header object must not leak an API key or a cookie.
 */
export function loggerOptions(): pino.LoggerOptions {
  return {
    level: env().LOG_LEVEL,
    base: { service: "payments" },
    redact: {
      paths: [
        "authorization",
        "cookie",
        "password",
        "*.authorization",
        "*.cookie",
        "*.password",
        "*.passwordHash",
        "*.secret",
        "*.clientSecret",
        "*.client_secret",
        "*.apiKey",
        'headers["authorization"]',
        'headers["cookie"]',
        'headers["stripe-signature"]',
      ],
      censor: "[redacted]",
    },
  };
}
