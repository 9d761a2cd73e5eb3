import { describe, expect, it } from "vitest";
import { newIdempotencyKey } from "./new-idempotency-key";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("newIdempotencyKey", () => {
  it("is a random UUID", () => {
    const keys = new Set(Array.from({ length: 100 }, () => newIdempotencyKey()));
    expect(keys.size).toBe(100);
    for (const key of keys) expect(key).toMatch(UUID_V4);
  });

  it("builds a version 4 UUID where randomUUID is missing (plain http)", () => {
    expect(newIdempotencyKey(bytes())).toMatch(UUID_V4);
    expect(newIdempotencyKey(bytes(0xff))).toBe("ffffffff-ffff-4fff-bfff-ffffffffffff");
  });
});

/** A crypto without randomUUID, as in an insecure context; `fill` fixes every byte. */
function bytes(fill?: number) {
  return {
    getRandomValues<T extends ArrayBufferView | null>(array: T): T {
      if (array instanceof Uint8Array) {
        if (fill === undefined) globalThis.crypto.getRandomValues(array);
        else array.fill(fill);
      }
      return array;
    },
  };
}
