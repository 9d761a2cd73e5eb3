import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { PaymentStatusBadge } from "./payment-status-badge";

function badge(status: string, failureCode?: string | null): { label: string; red: boolean } {
  const html = renderToStaticMarkup(createElement(PaymentStatusBadge, { status, failureCode }));
  return { label: html.replace(/<[^>]*>/g, ""), red: html.includes("bg-red-50") };
}

describe("PaymentStatusBadge", () => {
  it("says Declined, in red, for a card the bank declined", () => {
    for (const code of ["generic_decline", "insufficient_funds", "lost_card", "card_declined", "expired_card"]) {
      expect(badge("failed", code), code).toEqual({ label: "Declined", red: true });
    }
  });

  it("says Authentication failed, in red, for a failed 3-D Secure", () => {
    expect(badge("failed", "payment_intent_authentication_failure")).toEqual({ label: "Authentication failed", red: true });
  });

  it("says Failed, in red, when the failure is not the card's or has no reason", () => {
    for (const code of [undefined, null, "", "payment_failed", "payment_intent_payment_attempt_failed"]) {
      expect(badge("failed", code), String(code)).toEqual({ label: "Failed", red: true });
    }
  });

  it("ignores a failure code on a status that is not failed", () => {
    expect(badge("succeeded", "generic_decline")).toEqual({ label: "Succeeded", red: false });
    expect(badge("requires_action")).toEqual({ label: "Authentication required", red: false });
  });

  it("shows a status from a later release as it is", () => {
    expect(badge("partially_captured")).toEqual({ label: "partially captured", red: false });
  });
});
