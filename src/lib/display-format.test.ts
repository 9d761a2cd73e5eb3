import { describe, expect, it } from "vitest";
import { formatCardBrand, formatDisputeStatus, formatMoney, formatTimestamp, formatZonedTimestamp } from "./display-format";

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

describe("formatZonedTimestamp", () => {
  const date = new Date("2026-11-25T23:30:00.000Z");

  it("shows a moment in the time zone given, labelled with it, in the same form as UTC's", () => {
    expect(formatZonedTimestamp(date, "UTC")).toBe(formatTimestamp(date).text);
    expect(formatZonedTimestamp(date, "America/Los_Angeles")).toBe("Nov 25, 2026, 15:30 PST");
    expect(formatZonedTimestamp(date, "Europe/Berlin")).toBe("Nov 26, 2026, 00:30 GMT+1");
    expect(formatZonedTimestamp(date, "Asia/Kolkata")).toBe("Nov 26, 2026, 05:00 GMT+5:30");
  });

  it("uses the runtime's time zone when given none", () => {
    // eslint-disable-next-line no-restricted-globals -- reads the runtime's zone; formats nothing
    const runtimeZone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(formatZonedTimestamp(date)).toBe(formatZonedTimestamp(date, runtimeZone));
  });
});

describe("formatCardBrand", () => {
  it("names Stripe's brands as their owners write them", () => {
    expect(formatCardBrand("visa")).toBe("Visa");
    expect(formatCardBrand("mastercard")).toBe("Mastercard");
    expect(formatCardBrand("amex")).toBe("American Express");
    expect(formatCardBrand("diners")).toBe("Diners Club");
    expect(formatCardBrand("jcb")).toBe("JCB");
    expect(formatCardBrand("unionpay")).toBe("UnionPay");
    expect(formatCardBrand("cartes_bancaires")).toBe("Cartes Bancaires");
    expect(formatCardBrand("eftpos_au")).toBe("eftpos Australia");
  });

  it("says Card when Stripe could not tell the brand", () => {
    expect(formatCardBrand("unknown")).toBe("Card");
  });

  it("capitalises a brand it does not know, rather than hiding it", () => {
    expect(formatCardBrand("maestro")).toBe("Maestro");
    expect(formatCardBrand("new_brand")).toBe("New brand");
    expect(formatCardBrand("constructor")).toBe("Constructor");
    expect(formatCardBrand("")).toBe("Card");
  });
});

describe("formatDisputeStatus", () => {
  it("says what Stripe's statuses mean for the customer", () => {
    expect(formatDisputeStatus("needs_response")).toBe("awaiting the merchant's response");
    expect(formatDisputeStatus("lost")).toBe("resolved for the cardholder");
  });

  it("shows a status it does not know in words, and never a property of Object", () => {
    expect(formatDisputeStatus("new_status")).toBe("new status");
    expect(formatDisputeStatus("constructor")).toBe("constructor");
  });
});
