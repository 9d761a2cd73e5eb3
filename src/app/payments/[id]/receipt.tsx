import type { ReactNode } from "react";
import { LocalTime } from "@/components/local-time";
import { PaymentStatusBadge } from "@/components/payment-status-badge";
import { formatCardBrand, formatMoney } from "@/lib/display-format";
import type { PaymentDetailResponse } from "@/lib/schemas/payment-response";
import type { PaymentKey } from "@/server/payments/payment-key";
import { RefundList } from "./refund-list";
import { statusExplanation } from "./status-explanation";

type Props = { payment: PaymentDetailResponse; idempotencyKey: PaymentKey | null };

/** Stripe's dispute statuses, as a customer reads them (the same words as the payment history). */
const DISPUTE_STATUSES: Record<string, string> = {
  warning_needs_response: "inquiry opened",
  needs_response: "awaiting the merchant's response",
  warning_under_review: "inquiry under review",
  under_review: "under review by the bank",
  won: "resolved for the merchant",
  lost: "resolved for the cardholder",
  warning_closed: "inquiry closed",
  prevented: "prevented",
};

/** What was paid, with what, when and under which key; and what happened to it since. */
export function Receipt({ payment, idempotencyKey }: Props) {
  const money = (amount: number) => formatMoney(amount, payment.currency);
  const { card, dispute } = payment;
  return (
    <section aria-labelledby="receipt-heading" className="overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm">
      <div className="flex flex-col gap-2 px-5 py-5 sm:px-6">
        <h2 id="receipt-heading" className="text-sm font-medium text-slate-500">
          Receipt
        </h2>
        <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
          <p className="text-3xl font-semibold tabular-nums tracking-tight">{money(payment.amount)}</p>
          <PaymentStatusBadge status={payment.status} failureCode={payment.failureCode} />
        </div>
        <p className="text-sm text-slate-600">{statusExplanation(payment.status, payment.failureCode)}</p>
      </div>

      <dl className="divide-y divide-slate-100 border-t border-slate-200 px-5 text-sm sm:px-6">
        <Row term="Date">
          <LocalTime iso={payment.createdAt} />
        </Row>
        <Row term="Description">{payment.description ?? <span className="text-slate-500">None</span>}</Row>
        <Row term="Card">
          {card ? (
            <>
              {formatCardBrand(card.brand)} <span aria-hidden="true">••••</span>
              <span className="sr-only">ending in</span> {card.last4}
            </>
          ) : (
            <span className="text-slate-500">Not known</span>
          )}
        </Row>
        {payment.failureCode && (
          <Row term="Failure code">
            <code className="break-all font-mono text-xs">{payment.failureCode}</code>
          </Row>
        )}
        <Row term="PaymentIntent">
          <code className="break-all font-mono text-xs">{payment.paymentIntentId}</code>
        </Row>
        <Row term="Idempotency key">
          {idempotencyKey ? (
            <>
              <code className="break-all font-mono text-xs">{idempotencyKey.key}</code>
              {idempotencyKey.expired && <span className="text-slate-500"> (expired: the same key now starts a new payment)</span>}
            </>
          ) : (
            <span className="text-slate-500">Expired: keys are kept for a day, then cleaned up.</span>
          )}
        </Row>
        {payment.amountRefunded > 0 && (
          <Row term="Refunded">
            <span className="font-medium tabular-nums">{money(payment.amountRefunded)}</span>
            {payment.amountRefunded >= payment.amount && " (in full)"}
          </Row>
        )}
        {payment.amountRefundFailed > 0 && (
          <Row term="Refund failed">
            <span className="text-red-700">
              <span className="font-medium tabular-nums">{money(payment.amountRefundFailed)}</span> was not returned to the card
            </span>
          </Row>
        )}
        {dispute && (
          <Row term="Dispute">
            <span className="text-amber-900">
              {Object.hasOwn(DISPUTE_STATUSES, dispute.status) ? DISPUTE_STATUSES[dispute.status] : dispute.status.replaceAll("_", " ")}
              {dispute.reason && ` (${dispute.reason.replaceAll("_", " ")})`}
              {dispute.amount !== null && <> · <span className="tabular-nums">{money(dispute.amount)}</span></>}
            </span>
          </Row>
        )}
      </dl>

      {payment.refunds.length > 0 && <RefundList refunds={payment.refunds} currency={payment.currency} />}
    </section>
  );
}

function Row({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-1 py-3 sm:flex-row sm:gap-4">
      <dt className="shrink-0 text-slate-500 sm:w-36">{term}</dt>
      <dd className="min-w-0 text-slate-900">{children}</dd>
    </div>
  );
}
