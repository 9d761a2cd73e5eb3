import { describe, expect, it } from "vitest";
import { draftRequest } from "./draft-request";

describe("draftRequest", () => {
  it("turns the form into the POST /api/payments body", () => {
    expect(draftRequest({ amountText: "12.30", currency: "gbp", paymentMethod: "pm_card_chargeDeclined" })).toEqual({
      ok: true,
      request: { amount: 1_230, currency: "gbp", paymentMethod: "pm_card_chargeDeclined" },
    });
  });

  it("passes on the amount's message", () => {
    expect(draftRequest({ amountText: "0.10", currency: "eur", paymentMethod: "pm_card_visa" })).toEqual({
      ok: false,
      error: "The minimum is €0.50.",
    });
  });
});
