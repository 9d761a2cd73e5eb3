import { describe, expect, it } from "vitest";
import { retryDelayMs } from "./retry-delay";

const noJitter = () => 0;
const fullJitter = () => 0.999_999;

describe("retryDelayMs", () => {
  it("doubles from 0.5 s and stops growing at 8 s", () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((retry) => retryDelayMs(retry, null, noJitter))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000,
    ]);
  });

  it("adds up to 50 % jitter", () => {
    expect(retryDelayMs(1, null, fullJitter)).toBe(750);
    expect(retryDelayMs(3, null, () => 0.25)).toBe(2_250);
  });

  it("never retries sooner than Retry-After, in seconds or as a date", () => {
    expect(retryDelayMs(1, "2", noJitter)).toBe(2_000);
    expect(retryDelayMs(4, "1", noJitter)).toBe(4_000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryDelayMs(1, "Thu, 01 Jan 2026 00:00:03 GMT", noJitter, now)).toBe(3_000);
  });

  it("ignores a Retry-After it cannot read and caps a very long one", () => {
    expect(retryDelayMs(1, "soon", noJitter)).toBe(500);
    expect(retryDelayMs(1, "-3", noJitter)).toBe(500);
    expect(retryDelayMs(1, "3600", noJitter)).toBe(30_000);
  });
});
