"use client";

import Link from "next/link";
import { useEffect, useRef, type ReactNode } from "react";
import { CardLabel } from "@/components/card-label";
import { DetailRow } from "@/components/detail-row";
import { PaymentStatusBadge } from "@/components/payment-status-badge";
import type { PaymentOutcome } from "@/lib/checkout/submit-payment";
import { formatMoney } from "@/lib/display-format";
import type { CreatePaymentInput } from "@/lib/schemas/payment";

/** An answer the server stored for the key: the payment, or its decline. Ends the attempt. */
export type SettledOutcome = Extract<PaymentOutcome, { kind: "payment" | "declined" }>;

type Props = {
  outcome: SettledOutcome;
  /** What was sent: shown when a decline came without its payment. */
  request: CreatePaymentInput;
  idempotencyKey: string;
  onNewPayment: () => void;
};

/** `explanation`: what happened; `hint`: what to do next, when there is something to do. */
type Look = { heading: string; explanation: string; hint?: string; icon: ReactNode; ring: string };

/**
 * The answer to a payment: what happened, for how much, the PaymentIntent behind it, and
 * whether this answer was replayed from an earlier attempt with the same key.
 */
export function OutcomePanel({ outcome, request, idempotencyKey, onNewPayment }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  // Focus follows the answer, so that keyboard and screen-reader users land on it.
  useEffect(() => heading.current?.focus(), []);

  const payment = outcome.payment;
  const status = payment?.status ?? "failed";
  const declineCode = outcome.kind === "declined" ? (outcome.declineCode ?? "card_declined") : null;
  const amount = formatMoney(payment?.amount ?? request.amount, payment?.currency ?? request.currency);
  const look = outcome.kind === "declined" ? declinedLook(outcome.message) : lookFor(status);
  const card = payment?.card;

  return (
    <section
      aria-labelledby="outcome-heading"
      className="mx-auto w-full max-w-xl overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm"
    >
      <div className="flex flex-col items-center gap-3 px-5 pb-6 pt-8 text-center sm:px-8">
        <span className={`flex size-12 items-center justify-center rounded-full ring-8 ${look.ring}`}>{look.icon}</span>
        <h2 id="outcome-heading" ref={heading} tabIndex={-1} className="text-xl font-semibold tracking-tight outline-none">
          {look.heading}
        </h2>
        <p className="text-3xl font-semibold tabular-nums tracking-tight">{amount}</p>
        <PaymentStatusBadge status={status} failureCode={payment?.failureCode ?? declineCode} />
        <p className="max-w-md text-sm text-slate-700">{look.explanation}</p>
        {look.hint && <p className="max-w-md text-sm text-slate-600">{look.hint}</p>}
      </div>

      <dl className="divide-y divide-slate-100 border-t border-slate-200 px-5 text-sm sm:px-8">
        <DetailRow term="Amount">{amount}</DetailRow>
        {card && (
          <DetailRow term="Card">
            <CardLabel card={card} />
          </DetailRow>
        )}
        {declineCode && <DetailRow term="Decline code">{declineCode}</DetailRow>}
        <DetailRow term="PaymentIntent">
          <code className="break-all font-mono text-xs">{payment?.paymentIntentId ?? "—"}</code>
        </DetailRow>
        <DetailRow term="Idempotency key">
          <code className="break-all font-mono text-xs">{idempotencyKey}</code>
        </DetailRow>
        <DetailRow term="Replayed">
          {outcome.replayed ? (
            <span>
              <strong className="font-medium">Yes</strong> — the stored answer to an earlier attempt with this key. You
              were charged at most once.
            </span>
          ) : (
            <span>No — the first answer for this key.</span>
          )}
        </DetailRow>
      </dl>

      <div className="flex flex-col-reverse gap-3 border-t border-slate-200 bg-slate-50 px-5 py-4 sm:flex-row sm:justify-end sm:px-8">
        <Link href="/payments" className={secondaryButtonClass}>
          Payment history
        </Link>
        {payment?.id && (
          <Link href={`/payments/${encodeURIComponent(payment.id)}`} className={secondaryButtonClass}>
            View receipt
          </Link>
        )}
        <button
          type="button"
          onClick={onNewPayment}
          className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
        >
          New payment
        </button>
      </div>
    </section>
  );
}

const secondaryButtonClass =
  "rounded-md border border-slate-300 bg-white px-4 py-2 text-center font-medium text-slate-800 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

function lookFor(status: string): Look {
  switch (status) {
    case "succeeded":
      return {
        heading: "Payment successful",
        explanation: "Thank you! Your card was charged once. You will find the payment in your history.",
        icon: <CheckIcon />,
        ring: "bg-emerald-100 text-emerald-700 ring-emerald-50",
      };
    case "requires_action":
      return {
        heading: "Authentication required",
        explanation:
          "Your bank has not confirmed this payment yet, and you have not been charged. Open the receipt to complete the authentication with your bank.",
        icon: <ShieldIcon />,
        ring: "bg-amber-100 text-amber-700 ring-amber-50",
      };
    default:
      return {
        heading: "Payment received",
        explanation: "The payment is not final yet; its status in your history updates when it is.",
        icon: <ClockIcon />,
        ring: "bg-sky-100 text-sky-700 ring-sky-50",
      };
  }
}

/** The bank's message says why, once; the heading only names the outcome. */
function declinedLook(message: string): Look {
  return {
    heading: "Payment declined",
    explanation: message,
    hint: "You have not been charged. Choose another card and pay again: that is a new payment.",
    icon: <CrossIcon />,
    ring: "bg-red-100 text-red-700 ring-red-50",
  };
}

const iconProps = {
  "aria-hidden": true,
  viewBox: "0 0 24 24",
  fill: "none",
  stroke: "currentColor",
  strokeWidth: 2,
  strokeLinecap: "round",
  strokeLinejoin: "round",
  className: "size-6",
} as const;

function CheckIcon() {
  return (
    <svg {...iconProps}>
      <path d="M5 12.5l4.5 4.5L19 7.5" />
    </svg>
  );
}

function CrossIcon() {
  return (
    <svg {...iconProps}>
      <path d="M6 6l12 12M18 6L6 18" />
    </svg>
  );
}

function ShieldIcon() {
  return (
    <svg {...iconProps}>
      <path d="M12 3l7 3v5.5c0 4.2-2.9 7.9-7 9.5-4.1-1.6-7-5.3-7-9.5V6l7-3z" />
      <path d="M12 8v4.5M12 16h.01" />
    </svg>
  );
}

function ClockIcon() {
  return (
    <svg {...iconProps}>
      <circle cx="12" cy="12" r="9" />
      <path d="M12 7v5l3 2" />
    </svg>
  );
}
