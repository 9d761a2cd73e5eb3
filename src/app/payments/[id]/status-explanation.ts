/** One sentence under a payment's status badge: what it means for the cardholder. */
export function statusExplanation(status: string, failureCode: string | null): string {
  switch (status) {
    case "succeeded":
      return "The card was charged once.";
    case "failed":
      return failureCode === "payment_intent_authentication_failure"
        ? "The bank could not confirm the cardholder (3-D Secure failed), so the card was not charged."
        : "The payment did not go through; the card was not charged.";
    case "requires_action":
      return "The bank asks the cardholder to confirm this payment (3-D Secure). The card is not charged until then.";
    case "processing":
      return "Stripe is still processing the payment; its final status appears here when it is known.";
    case "requires_capture":
      return "The bank authorized the amount; it has not been captured yet.";
    case "canceled":
      return "The payment was canceled; the card was not charged.";
    case "requires_payment_method":
    case "requires_confirmation":
      return "The payment was not completed; the card was not charged.";
    default:
      return `Stripe reports this payment as “${status.replaceAll("_", " ")}”.`;
  }
}
