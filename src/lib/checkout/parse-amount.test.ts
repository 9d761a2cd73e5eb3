import { describe, expect, it } from "vitest";
import { parseAmount } from "./parse-amount";

describe("parseAmount", () => {
  it.each([
    ["25", 2_500],
    ["25.00", 2_500],
    ["25.5", 2_550],
    ["25,50", 2_550],
    [" 0.50 ", 50],
    ["1.15", 115], // 1.15 * 100 is 114.999… as a float
    ["1 250.10", 125_010],
    ["10000.00", 1_000_000],
  ])("reads %j as %i minor units", (text, amount) => {
    expect(parseAmount(text, "eur")).toEqual({ ok: true, amount });
  });

  it.each(["", "  ", "abc", "12.345", "-5", "1e3", "1,250.00", ".5", "5.", "€5"])("refuses %j", (text) => {
    const result = parseAmount(text, "usd");
    expect(result.ok).toBe(false);
  });

  it("explains an empty field and a malformed amount", () => {
    expect(parseAmount("", "eur")).toEqual({ ok: false, error: "Enter an amount." });
    expect(parseAmount("12.345", "usd")).toEqual({
      ok: false,
      error: "Enter an amount in USD with at most 2 decimals, like $25.00.",
    });
  });

  it("enforces the currency's minimum and the ceiling, in the customer's terms", () => {
    expect(parseAmount("0.49", "usd")).toEqual({ ok: false, error: "The minimum is $0.50." });
    expect(parseAmount("0.30", "gbp")).toEqual({ ok: true, amount: 30 });
    expect(parseAmount("10000.01", "chf")).toEqual({ ok: false, error: "The maximum is CHF\u00a010,000.00." });
  });
});
