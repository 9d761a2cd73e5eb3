import type { TestPaymentMethod } from "@/lib/checkout/checkout-store";

export type TestCard = { brand: string; last4: string; outcome: string; hint: string };

/**
 * How the pay page shows each of Stripe's test payment methods (the card numbers behind
 * them end in these digits). Typed by the shared list, so a method added there must be
 * described here.
 */
export const TEST_CARDS: Record<TestPaymentMethod, TestCard> = {
  pm_card_visa: { brand: "Visa", last4: "4242", outcome: "Succeeds", hint: "The bank approves the payment." },
  pm_card_chargeDeclined: { brand: "Visa", last4: "0002", outcome: "Declined", hint: "The bank declines the charge." },
  pm_card_authenticationRequired: {
    brand: "Visa",
    last4: "3184",
    outcome: "Needs authentication",
    hint: "The bank asks for 3D Secure before charging.",
  },
};
