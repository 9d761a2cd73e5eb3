"use client";

import { Elements } from "@stripe/react-stripe-js";
import type { StripeElementsOptions } from "@stripe/stripe-js";
import { useState, type FormEvent } from "react";
import { FormAlert } from "@/components/form-alert";
import { createCheckoutStore, DEFAULT_DRAFT } from "@/lib/checkout/checkout-store";
import { draftTerms } from "@/lib/checkout/draft-request";
import { sessionStorageOrNull } from "@/lib/checkout/session-storage";
import { formatMoney } from "@/lib/display-format";
import { loadStripeJs, type StripeJsConfig } from "@/lib/stripe-js";
import { AmountFields } from "./amount-fields";
import { CardDetails } from "./card-details";
import { OrderSummary } from "./order-summary";
import { OutcomePanel } from "./outcome-panel";
import { PayButton } from "./pay-button";
import { useCheckout } from "./use-checkout";
import { useIsClient } from "./use-is-client";

type Props = { stripeJs: StripeJsConfig; testMode: boolean };

/** The checkout; rendered in the browser only, because its state lives in sessionStorage. */
export function PayForm(props: Props) {
  return useIsClient() ? <StripeCheckout {...props} /> : <CheckoutPlaceholder />;
}

/**
 * Stripe's Elements in deferred-intent mode (docs.stripe.com/payments/accept-a-payment-deferred):
 * the Payment Element collects the card before any PaymentIntent exists; the amount and
 * currency are the form's, kept up to date by the checkout.
 */
function StripeCheckout({ stripeJs, testMode }: Props) {
  const [loadFailed, setLoadFailed] = useState(false);
  const [stripe] = useState(() =>
    loadStripeJs(stripeJs).catch(() => {
      setLoadFailed(true);
      return null;
    }),
  );
  const [options] = useState<StripeElementsOptions>(() => {
    const terms = draftTerms(createCheckoutStore(sessionStorageOrNull()).state().draft);
    const { amount, currency } = terms.ok ? terms.terms : { amount: 2_500, currency: DEFAULT_DRAFT.currency };
    return { mode: "payment", amount, currency, appearance: { theme: "stripe", variables: { colorPrimary: "#4f46e5" } } };
  });
  return (
    <Elements stripe={stripe} options={options}>
      <Checkout stripeJs={stripeJs} testMode={testMode} loadFailed={loadFailed} />
    </Elements>
  );
}

function Checkout({ stripeJs, testMode, loadFailed }: Props & { loadFailed: boolean }) {
  const checkout = useCheckout(stripeJs);
  const { draft, phase, alert, unresolved } = checkout;

  if (phase.kind === "finished") {
    return (
      <OutcomePanel
        outcome={phase.outcome}
        request={phase.attempt.request}
        idempotencyKey={phase.attempt.key}
        onNewPayment={checkout.startNewPayment}
      />
    );
  }

  const busy = phase.kind !== "editing";
  const terms = draftTerms(draft);
  const total = terms.ok ? formatMoney(terms.terms.amount, draft.currency) : null;
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    void checkout.pay();
  };

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_20rem] lg:items-start">
      <OrderSummary total={total} />
      <section
        aria-labelledby="payment-details"
        className="rounded-xl border border-slate-200 bg-white shadow-sm lg:col-start-1 lg:row-start-1"
      >
        <div className="border-b border-slate-200 px-5 py-4 sm:px-6">
          <h2 id="payment-details" className="text-lg font-semibold">
            Payment details
          </h2>
        </div>
        <form onSubmit={onSubmit} noValidate aria-describedby="pay-alert" className="flex flex-col gap-6 px-5 py-5 sm:px-6">
          {/* The live region stays in the page (see FormAlert); it takes space only with a message. */}
          <div className="-mb-6 flex flex-col gap-2 has-[p]:mb-0">
            <FormAlert id="pay-alert" message={loadFailed ? "The card form could not be loaded. Check your connection and reload the page." : alert} />
            {unresolved && !busy && (
              <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
                Your last attempt got no final answer. Pay again with the same amount to find out what happened: it is the
                same payment, so you will not be charged twice.
              </p>
            )}
          </div>
          <fieldset disabled={busy} className="flex min-w-0 flex-col gap-6">
            <legend className="sr-only">Amount and card</legend>
            <AmountFields draft={draft} error={checkout.amountError} onChange={checkout.change} />
            <CardDetails amount={terms.ok ? terms.terms.amount : null} currency={draft.currency} testMode={testMode} />
          </fieldset>
          <PayButton phase={phase} total={total} disabled={busy || loadFailed} />
        </form>
      </section>
    </div>
  );
}

function CheckoutPlaceholder() {
  return (
    <div aria-busy="true" className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]">
      <div className="h-96 animate-pulse rounded-xl border border-slate-200 bg-white" />
      <div className="h-56 animate-pulse rounded-xl border border-slate-200 bg-white" />
      <p className="sr-only" role="status">
        Loading the checkout…
      </p>
    </div>
  );
}
