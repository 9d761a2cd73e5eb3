"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { PaymentStatusBadge } from "@/components/payment-status-badge";
import { awaitSettledPayment, isUnsettled } from "@/lib/checkout/await-settled-payment";
import { formatMoney } from "@/lib/display-format";
import type { TolerantPaymentResponse } from "@/lib/schemas/payment-response";

/** The payment the customer came back for, read from the server until it settles. */
export function ReturnStatus({ paymentId }: { paymentId: string }) {
  const [payment, setPayment] = useState<TolerantPaymentResponse | null>(null);
  const [done, setDone] = useState(false);
  useEffect(() => {
    let live = true;
    void awaitSettledPayment(paymentId).then((settled) => {
      if (!live) return;
      setPayment(settled);
      setDone(true);
    });
    return () => {
      live = false;
    };
  }, [paymentId]);

  return (
    <section aria-live="polite" className="flex flex-col gap-4 rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6">
      {!done ? (
        <p role="status" className="text-slate-700">
          Checking your payment with the bank…
        </p>
      ) : payment ? (
        <>
          <div className="flex flex-wrap items-center justify-between gap-3">
            <p className="text-2xl font-semibold tabular-nums">{formatMoney(payment.amount, payment.currency)}</p>
            <PaymentStatusBadge status={payment.status} failureCode={payment.failureCode} />
          </div>
          <p className="text-slate-700">{explanation(payment)}</p>
        </>
      ) : (
        <p role="alert" className="text-slate-700">
          We could not read your payment just now. Its receipt shows the latest state.
        </p>
      )}
      <Link href={`/payments/${paymentId}`} className="font-medium text-indigo-700 underline-offset-4 hover:underline">
        View receipt
      </Link>
    </section>
  );
}

function explanation(payment: TolerantPaymentResponse): string {
  if (payment.status === "succeeded") return "Your payment went through.";
  if (payment.status === "failed") return "Your payment did not go through, and you were not charged. You can pay again.";
  if (isUnsettled(payment.status)) return "Your bank has not confirmed the payment yet. The receipt updates when it does.";
  return "Your payment was recorded.";
}
