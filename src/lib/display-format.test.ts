import { describe, expect, it } from "vitest";
import { formatMoney, formatTimestamp } from "./display-format";

describe("formatMoney", () => {
  it("shows minor units in the display locale, whatever the runtime's", () => {
    expect(formatMoney(1_999, "eur")).toBe("€19.99");
    expect(formatMoney(1_234, "usd")).toBe("$12.34");
    expect(formatMoney(1_000_000, "gbp")).toBe("£10,000.00");
    expect(formatMoney(50, "chf")).toBe("CHF\u00a00.50");
  });
});

describe("formatTimestamp", () => {
  it("shows a moment in UTC, labelled, beside its ISO form", () => {
    const date = new Date("2026-11-25T23:30:00.000Z");
    expect(formatTimestamp(date)).toEqual({ iso: "2026-11-25T23:30:00.000Z", text: "Nov 25, 2026, 23:30 UTC" });
    expect(formatTimestamp(new Date("2026-01-02T03:04:00.000Z")).text).toBe("Jan 2, 2026, 03:04 UTC");
  });
});
