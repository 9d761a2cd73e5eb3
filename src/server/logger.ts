import "server-only";
import pino from "pino";
import { env } from "@/env";
import { traceFields } from "@/server/tracing/trace-fields";

export type Logger = pino.Logger;

let instance: Logger | undefined;

/** The process's JSON logger (stdout). */
export function logger(): Logger {
  instance ??= pino(loggerOptions());
  return instance;
}

/**
 * Redaction is a safety net: code should not log secrets in the first place, but a stray
 * header object must not leak an API key or a cookie. With tracing on, every line written
 * inside a span carries its `trace_id` and `span_id`, to go from a log line to its trace.
 */
export function loggerOptions(): pino.LoggerOptions {
  return {
    level: env().LOG_LEVEL,
    base: { service: "payments" },
    mixin: traceFields,
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
