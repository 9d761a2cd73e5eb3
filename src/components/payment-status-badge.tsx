import { PAYMENT_STATUSES, type PaymentStatus } from "@/lib/schemas/payment-response";

type Tone = "green" | "red" | "amber" | "blue" | "slate";

const TONES: Record<Tone, string> = {
  green: "bg-emerald-50 text-emerald-800 ring-emerald-600/25",
  red: "bg-red-50 text-red-800 ring-red-600/25",
  amber: "bg-amber-50 text-amber-900 ring-amber-600/30",
  blue: "bg-sky-50 text-sky-800 ring-sky-600/25",
  slate: "bg-slate-100 text-slate-700 ring-slate-500/25",
};

const DOTS: Record<Tone, string> = {
  green: "bg-emerald-500",
  red: "bg-red-500",
  amber: "bg-amber-500",
  blue: "bg-sky-500",
  slate: "bg-slate-400",
};

/**
 * Every status a payment has (typed by the API's list, so a status added there needs a label
 * here); one this page does not know, in an answer from a later release, shows as is.
 */
const STATUSES: Record<PaymentStatus, { label: string; tone: Tone }> = {
  succeeded: { label: "Succeeded", tone: "green" },
  failed: { label: "Failed", tone: "red" },
  requires_action: { label: "Authentication required", tone: "amber" },
  processing: { label: "Processing", tone: "blue" },
  requires_capture: { label: "Authorized", tone: "blue" },
  requires_confirmation: { label: "Awaiting confirmation", tone: "slate" },
  requires_payment_method: { label: "Needs a payment method", tone: "slate" },
  canceled: { label: "Canceled", tone: "slate" },
};

/**
 * A payment's status as a coloured pill; the colour repeats the word, it never replaces it.
 * A failed payment says why when its `failureCode` tells: a declined card, or a failed 3-D
 * Secure authentication.
 */
export function PaymentStatusBadge({ status, failureCode }: { status: string; failureCode?: string | null }) {
  const { label, tone } = isPaymentStatus(status) ? STATUSES[status] : { label: status.replaceAll("_", " "), tone: "slate" as const };
  return (
    <span
      className={`inline-flex items-center gap-1.5 whitespace-nowrap rounded-full px-2.5 py-0.5 text-xs font-medium ring-1 ring-inset ${TONES[tone]}`}
    >
      <span aria-hidden="true" className={`size-1.5 rounded-full ${DOTS[tone]}`} />
      {status === "failed" ? failedLabel(failureCode) : label}
    </span>
  );
}

/**
 * The server records Stripe's decline code for a declined card (or the card error's code when
 * the bank gave none), `payment_intent_authentication_failure` for a failed 3-D Secure, and
 * `payment_failed` when a webhook reported a failure without a reason. Other `payment_intent_`
 * codes are about the payment, not the card.
 */
function failedLabel(failureCode: string | null | undefined): string {
  if (failureCode === "payment_intent_authentication_failure") return "Authentication failed";
  const declined = !!failureCode && failureCode !== "payment_failed" && !failureCode.startsWith("payment_intent_");
  return declined ? "Declined" : STATUSES.failed.label;
}

function isPaymentStatus(status: string): status is PaymentStatus {
  return (PAYMENT_STATUSES as readonly string[]).includes(status);
}
