"use client";

import { useRef, useState, type FormEvent } from "react";
import { FormAlert } from "@/components/form-alert";
import { TextField } from "@/components/text-field";
import { MAX_ATTEMPTS } from "@/lib/checkout/keyed-request";
import { formatMoney } from "@/lib/display-format";
import { parseRefundAmount, refundAmountText } from "./refund-amount";
import { useRefund, type RefundPhase } from "./use-refund";

type Props = { paymentId: string; currency: string; /** Minor units not refunded yet. */ remaining: number };

/**
 * Refunds all or part of a succeeded payment. Stays mounted when nothing is left (the page
 * renders it for every succeeded payment), so that the announcement of the last refund and
 * a refund interrupted by a reload outlive the refresh that follows.
 */
export function RefundPanel({ paymentId, currency, remaining }: Props) {
  const [amountText, setAmountText] = useState(() => refundAmountText(remaining, currency));
  const [amountError, setAmountError] = useState<string | null>(null);
  // The field follows what is left after each refund (React's "adjust state on a prop change").
  const [shownRemaining, setShownRemaining] = useState(remaining);
  if (remaining !== shownRemaining) {
    setShownRemaining(remaining);
    setAmountText(refundAmountText(remaining, currency));
  }
  const refund = useRefund(paymentId, currency, (attempt) => {
    if (attempt.request.amount !== undefined) setAmountText(refundAmountText(attempt.request.amount, currency));
  });
  const amountInput = useRef<HTMLInputElement>(null);
  const parsed = parseRefundAmount(amountText, currency);
  const money = (amount: number) => formatMoney(amount, currency);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (refund.busy) return;
    if (!parsed.ok) {
      setAmountError(parsed.error);
      amountInput.current?.focus();
      return;
    }
    refund.start({ amount: parsed.amount });
  }

  return (
    // Takes no room (the negative margin cancels the page's gap) until it has something to show.
    <div className="-mb-6 flex flex-col has-[p]:mb-0 has-[section]:mb-0">
      {/* The live region stays in the page, so that each new announcement is read out. */}
      <div role="status" className="text-sm">
        {refund.announcement && (
          <p className="mb-3 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-emerald-900">{refund.announcement}</p>
        )}
      </div>
      {remaining > 0 && (
        <section aria-labelledby="refund-heading" className="rounded-xl border border-slate-200 bg-white shadow-sm">
          <div className="border-b border-slate-200 px-5 py-4 sm:px-6">
            <h2 id="refund-heading" className="text-lg font-semibold">
              Refund
            </h2>
            <p className="mt-1 text-sm text-slate-600">
              {money(remaining)} left to refund, all or part of it. The money goes back to the card; each refund is made once,
              even if you click twice or lose your connection.
            </p>
          </div>
          <form onSubmit={onSubmit} noValidate aria-describedby="refund-alert" className="flex flex-col gap-4 px-5 py-5 sm:px-6">
            {/* The live regions stay in the page (see FormAlert); they take room only with a message. */}
            <div className="-mb-4 has-[p]:mb-0">
              <FormAlert id="refund-alert" message={refund.alert} />
            </div>
            {refund.unresolved && refund.phase.kind === "idle" && (
              <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
                Your last refund got no final answer. Refund the same amount again to find out what happened: it is the same
                refund, so it will not be made twice.
              </p>
            )}
            <div className="flex flex-col gap-3 sm:flex-row sm:items-start">
              <TextField
                ref={amountInput}
                label={`Amount to refund (${currency.toUpperCase()})`}
                name="refundAmount"
                inputMode="decimal"
                autoComplete="off"
                spellCheck={false}
                value={amountText}
                disabled={refund.busy}
                onChange={(event) => {
                  setAmountText(event.target.value);
                  setAmountError(null);
                }}
                error={amountError}
                className="min-w-0 sm:w-48"
              />
              <button
                type="submit"
                disabled={refund.busy}
                className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-not-allowed disabled:opacity-70 sm:mt-6"
              >
                {refund.phase.kind === "sending" ? (refund.phase.retrying ? "Retrying…" : "Refunding…") : `Refund ${parsed.ok ? money(parsed.amount) : ""}`.trim()}
              </button>
            </div>
            <div aria-live="polite" className="-mt-4 text-sm text-slate-600 has-[p]:mt-0">
              {refund.phase.kind === "sending" && <p>{progressMessage(refund.phase)}</p>}
            </div>
          </form>
        </section>
      )}
    </div>
  );
}

function progressMessage(phase: Extract<RefundPhase, { kind: "sending" }>): string {
  if (phase.retrying) return `Retrying… attempt ${phase.attempt} of ${MAX_ATTEMPTS}. Same refund, same key.`;
  return phase.resumed ? "Resuming your refund after the reload…" : "Refunding…";
}
