import "server-only";
import { MAX_PREFER_WAIT_SECONDS } from "@/lib/openapi/idempotency-policy";

/** Longest a duplicate may wait for the first request (RFC 7240 `Prefer: wait=<s>`), as published. */
export const MAX_WAIT_SECONDS = MAX_PREFER_WAIT_SECONDS;

/**
 * Seconds the client is willing to wait, capped at `capSeconds` (this host's: env.ts
 * preferWaitCapSeconds); 0 when it did not ask.
 */
export function parsePreferWait(headers: Headers, capSeconds = MAX_WAIT_SECONDS): number {
  const prefer = headers.get("prefer");
  if (!prefer) return 0;
  for (const preference of prefer.split(",")) {
    const match = /^\s*wait\s*=\s*"?(\d{1,6})"?\s*$/i.exec(preference.split(";")[0] ?? "");
    if (match) return Math.min(Number(match[1]), capSeconds);
  }
  return 0;
}
