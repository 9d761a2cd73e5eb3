import "server-only";
import { ApiError } from "@/server/http/api-error";

export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
const PRINTABLE_ASCII = /^[\x20-\x7E]{1,255}$/;

/**
 * Reads the Idempotency-Key header: a single key of 1–255 printable ASCII characters. A value
 * wrapped in double quotes (a structured-field string, as the IETF draft writes it) is unquoted.
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
      "Idempotency-Key must be a single key, sent once: 1–255 printable ASCII characters, " +
        'with a comma only inside a quoted key ("a,b").',
    );
  }
  return key;
}

/**
 * `"abc"` → `abc`; an unbalanced or escaped quote → null (invalid); no quotes → as is, unless
 * it has a comma. The draft makes the field one sf-string Item, and Headers.get joins repeated
 * header lines with ", " (RFC 9110 §5.3): a comma outside quotes is a list or a header sent
 * twice. Read as one key, `a` + `b` would become the new key "a, b" and charge a second time.
 */
function unquote(value: string): string | null {
  if (!value.startsWith('"') && !value.endsWith('"')) return value.includes(",") ? null : value;
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return null;
  const inner = value.slice(1, -1);
  return /["\\]/.test(inner) ? null : inner;
}

/**
 * A key named in a path (GET /api/idempotency-keys/{key}), decoded: the key itself, with no
 * header's list syntax to guard against, so a comma is just a character. A quoted form
 * (`"order-1"`) names the key as the header's quoted form does. 400 for what no key can be.
 */
export function parseKeyInPath(decoded: string): string {
  const trimmed = decoded.trim();
  const key = trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
  if (!PRINTABLE_ASCII.test(key) || key.trim() === "") {
    throw new ApiError("idempotency_key_invalid", "The key in the path must be 1–255 printable ASCII characters, percent-encoded as one segment.");
  }
  return key;
}
