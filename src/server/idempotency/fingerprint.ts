import "server-only";
import { createHash } from "node:crypto";

/**
 * SHA-256 (hex) of a canonical serialisation of the request: object keys sorted, no
 * whitespace. The body must be the *validated* body with defaults applied, so key order and
 * omitted defaults do not change the fingerprint, while any meaningful change does.
 */
export function fingerprint(request: { method: string; path: string; body: unknown }): string {
  return createHash("sha256").update(canonicalJson(request)).digest("hex");
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}
