import { describe, expect, it } from "vitest";
import { draftTerms } from "./draft-request";

describe("draftTerms", () => {
  it("turns the form into what is paid: minor units and currency", () => {
    expect(draftTerms({ amountText: "12.30", currency: "gbp" })).toEqual({ ok: true, terms: { amount: 1_230, currency: "gbp" } });
  });

  it("passes on the amount's message", () => {
    expect(draftTerms({ amountText: "0.10", currency: "eur" })).toEqual({ ok: false, error: "The minimum is €0.50." });
  });
});
