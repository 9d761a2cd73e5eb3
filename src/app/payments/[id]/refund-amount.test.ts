import { describe, expect, it } from "vitest";
import { parseRefundAmount, refundAmountText } from "./refund-amount";

describe("parseRefundAmount", () => {
  it.each([
    ["25", 2_500],
    ["25.5", 2_550],
    ["25,50", 2_550],
    [" 0.01 ", 1],
    ["0.30", 30], // below a payment's minimum: a refund may be that small
    ["1.15", 115],
    ["10000.00", 1_000_000],
  ])("reads %j as %i minor units", (text, amount) => {
    expect(parseRefundAmount(text, "eur")).toEqual({ ok: true, amount });
  });

  it("explains what it refuses, in the customer's terms", () => {
    expect(parseRefundAmount(" ", "eur")).toEqual({ ok: false, error: "Enter an amount to refund." });
    expect(parseRefundAmount("0.00", "eur")).toEqual({ ok: false, error: "Enter an amount above zero." });
    expect(parseRefundAmount("10000.01", "usd")).toEqual({ ok: false, error: "The maximum is $10,000.00." });
    for (const text of ["abc", "12.345", "-5", "1e3", "1,250.00", ".5", "€5"]) {
      expect(parseRefundAmount(text, "usd")).toEqual({ ok: false, error: "Enter an amount in USD with at most 2 decimals, like $25.00." });
    }
  });
});

describe("refundAmountText", () => {
  it.each([
    [2_550, "25.50"],
    [1, "0.01"],
    [50, "0.50"],
    [1_000_000, "10000.00"],
  ])("writes %i as %j, which parseRefundAmount reads back", (amount, text) => {
    expect(refundAmountText(amount, "eur")).toBe(text);
    expect(parseRefundAmount(text, "eur")).toEqual({ ok: true, amount });
  });
});
