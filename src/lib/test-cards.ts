/**
 * Stripe's test card numbers the checkout suggests in test mode (docs.stripe.com/testing):
 * the one table the page shows. Any future expiry date, any CVC and any postal code work. The
 * emulator (tools/stripe-emulator/test-payment-methods.ts) knows these and more; so does Stripe.
 */
export const TEST_CARDS: ReadonlyArray<{ number: string; outcome: string }> = [
  { number: "4242 4242 4242 4242", outcome: "Succeeds" },
  { number: "4000 0027 6000 3184", outcome: "Asks for 3-D Secure" },
  { number: "4000 0000 0000 0002", outcome: "Declined" },
  { number: "4000 0000 0000 9995", outcome: "Declined: insufficient funds" },
  { number: "4000 0000 0000 0259", outcome: "Succeeds, then disputed" },
  { number: "4000 0000 0000 5126", outcome: "Succeeds; refunds fail later" },
];
