import { describe, expect, it } from "vitest";
import { ApiError } from "@/server/http/api-error";
import { parseIdempotencyKey } from "./parse-idempotency-key";

/** Headers with one Idempotency-Key line per value, as a client that repeats the header sends them. */
function keyLines(...values: string[]): Headers {
  const headers = new Headers();
  for (const value of values) headers.append("Idempotency-Key", value);
  return headers;
}

function refusal(headers: Headers): ApiError {
  try {
    parseIdempotencyKey(headers);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(headers.get("Idempotency-Key"))}`);
}

describe("parseIdempotencyKey", () => {
  it.each([
    ["a plain key", ["order-1001"], "order-1001"],
    ["a UUID", ["6f1c2a3e-0b7e-4c1d-9a8b-1234567890ab"], "6f1c2a3e-0b7e-4c1d-9a8b-1234567890ab"],
    ["a quoted key, unquoted", ['"order-1001"'], "order-1001"],
    ["a comma inside one quoted key", ['"a,b"'], "a,b"],
    ["a comma and space inside one quoted key", ['"a, b"'], "a, b"],
    ["spaces around the value", ["  order-1001  "], "order-1001"],
    ["255 characters", ["k".repeat(255)], "k".repeat(255)],
  ])("accepts %s", (_name, lines, key) => {
    expect(parseIdempotencyKey(keyLines(...lines))).toBe(key);
  });

  it("answers idempotency_key_missing without the header", () => {
    expect(refusal(new Headers()).code).toBe("idempotency_key_missing");
  });

  it.each([
    ["two unquoted lines", ["a", "b"]],
    ["the same value twice", ["a", "a"]],
    ["an empty second line", ["a", ""]],
    ["an empty first line", ["", "a"]],
    ["two empty lines", ["", ""]],
    ["an unquoted line, then a quoted one", ["a", '"b"']],
    ["a quoted line, then an unquoted one", ['"a"', "b"]],
    ["two quoted lines", ['"a"', '"b"']],
    ["the same quoted value twice", ['"a"', '"a"']],
    ["a comma-separated list in one line", ["a, b"]],
    ["a list without spaces", ["a,b"]],
    ["a list of quoted keys in one line", ['"a", "b"']],
    ["a trailing comma", ["a,"]],
    ["a leading comma", [",a"]],
  ])("refuses %s with idempotency_key_invalid, asking for a single key", (_name, lines) => {
    const error = refusal(keyLines(...lines));
    expect(error.code).toBe("idempotency_key_invalid");
    expect(error.status).toBe(400);
    expect(error.detail).toContain("a single key");
  });

  it.each([
    ["empty", ""],
    ["blank", "   "],
    ["too long", "k".repeat(256)],
    ["non-ASCII", "clé"],
    ["a tab", "a\tb"],
    ["an unbalanced quote", '"a'],
    ["an escaped quote", '"a\\"b"'],
    ["empty quotes", '""'],
  ])("still refuses a malformed key (%s)", (_name, value) => {
    expect(refusal(keyLines(value)).code).toBe("idempotency_key_invalid");
  });
});
