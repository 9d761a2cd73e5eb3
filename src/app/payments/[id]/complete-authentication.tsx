"use client";

import { useRouter } from "next/navigation";
import type { Stripe } from "@stripe/stripe-js";
import { useRef, useState, useTransition } from "react";
import { FormAlert } from "@/components/form-alert";
import { awaitSettledPayment, isUnsettled } from "@/lib/checkout/await-settled-payment";
import type { StripeJsConfig } from "@/lib/stripe-js";

type Props = {
  paymentId: string;
  status: string;
  /** Present while the payment requires action and Stripe could be asked for it. */
  clientSecret: string | null;
  stripeJs: StripeJsConfig;
};

type Phase = "idle" | "authenticating" | "checking";

const AUTHENTICATION_FAILED = "The bank could not confirm the payment.";

/**
 * Runs the bank's 3-D Secure step of a payment in `requires_action` with Stripe.js, then reads
 * the payment until it settles and refreshes the page. Rendered for every payment, so that
 * its messages outlive the refresh in which the payment stops requiring action.
 */
export function CompleteAuthentication({ paymentId, status, clientSecret, stripeJs }: Props) {
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const [phase, setPhase] = useState<Phase>("idle");
  const [error, setError] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState<string | null>(null);
  // Set before the first await: a second click must not open a second challenge.
  const running = useRef(false);

  async function complete(secret: string) {
    if (running.current) return;
    running.current = true;
    setError(null);
    setAnnouncement(null);
    setPhase("authenticating");
    try {
      const stripe = await stripeJsOrNull(stripeJs);
      if (!stripe) {
        setError("Stripe.js could not be loaded. Check your connection and try again.");
        return;
      }
      // A failed authentication fails the payment: its status is read below all the same.
      const failure = await stripe.handleNextAction({ clientSecret: secret }).then(
        (result) => (result.error ? (result.error.message ?? AUTHENTICATION_FAILED) : null),
        () => AUTHENTICATION_FAILED,
      );
      setError(failure);
      setPhase("checking");
      const payment = await awaitSettledPayment(paymentId);
      if (!payment || isUnsettled(payment.status)) {
        setAnnouncement("The bank has not answered yet. This page shows the outcome when you reload it.");
      } else if (!failure) {
        setAnnouncement(payment.status === "succeeded" ? "Authenticated: the payment succeeded." : "The payment did not go through.");
      }
      startRefresh(() => router.refresh());
    } finally {
      running.current = false;
      setPhase("idle");
    }
  }

  const busy = phase !== "idle" || refreshing;
  return (
    // Takes no room (the negative margin cancels the page's gap) until it has something to show.
    <div className="-mb-6 flex flex-col has-[p]:mb-0 has-[section]:mb-0">
      <div role="status" className="text-sm">
        {announcement && <p className="mb-3 rounded-md border border-slate-200 bg-white px-3 py-2 text-slate-800">{announcement}</p>}
      </div>
      <div className="has-[p]:mb-3">
        <FormAlert message={error} />
      </div>
      {status === "requires_action" && (
        <section aria-labelledby="authentication-heading" className="rounded-xl border border-amber-200 bg-amber-50 px-5 py-4 shadow-sm sm:px-6">
          <h2 id="authentication-heading" className="text-lg font-semibold text-amber-950">
            Authentication required
          </h2>
          <p className="mt-1 text-sm text-amber-900">
            {clientSecret
              ? "The bank asks the cardholder to confirm this payment. Nothing is charged until it is confirmed."
              : "The bank asks the cardholder to confirm this payment, but Stripe cannot be reached right now. Reload the page to try again."}
          </p>
          {clientSecret && (
            <button
              type="button"
              disabled={busy}
              onClick={() => void complete(clientSecret)}
              className="mt-3 w-full rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-not-allowed disabled:opacity-70 sm:w-auto"
            >
              {phase === "authenticating" ? "Waiting for the bank…" : phase === "checking" ? "Checking the payment…" : "Complete authentication"}
            </button>
          )}
        </section>
      )}
    </div>
  );
}

/** Stripe.js, loaded on demand: a receipt has no use for it until authentication starts. Null when it cannot be loaded. */
async function stripeJsOrNull(config: StripeJsConfig): Promise<Stripe | null> {
  try {
    const { loadStripeJs } = await import("@/lib/stripe-js");
    return await loadStripeJs(config);
  } catch {
    return null;
  }
}
