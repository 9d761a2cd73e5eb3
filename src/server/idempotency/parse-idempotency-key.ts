import "server-only";
import { ApiError } from "@/server/http/api-error";

export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
const PRINTABLE_ASCII = /^[\x20-\x7E]{1,255}$/;

/**
 * Reads the Idempotency-Key header: 1–255 printable ASCII characters. A value wrapped in
 * double quotes (a structured-field string, as the IETF draft writes it) is unquoted.
 */
export function parseIdempotencyKey(headers: Headers): string {
  const raw = headers.get(IDEMPOTENCY_KEY_HEADER);
  if (raw === null) {
    throw new ApiError("idempotency_key_missing", "Send an Idempotency-Key header: one new key per logical payment.");
  }
  const key = unquote(raw.trim());
  if (key === null || !PRINTABLE_ASCII.test(key) || key.trim() === "") {
    throw new ApiError(
      "idempotency_key_invalid",
      "Idempotency-Key must be 1–255 printable ASCII characters (a quoted string is accepted).",
    );
  }
  return key;
}

/** `"abc"` → `abc`; an unbalanced or escaped quote → null (invalid); no quotes → as is. */
function unquote(value: string): string | null {
  if (!value.startsWith('"') && !value.endsWith('"')) return value;
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return null;
  const inner = value.slice(1, -1);
  return /["\\]/.test(inner) ? null : inner;
}
