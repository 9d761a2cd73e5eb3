import { CardLabel } from "@/components/card-label";
import { DetailRow } from "@/components/detail-row";
import { LocalTime } from "@/components/local-time";
import { PaymentStatusBadge } from "@/components/payment-status-badge";
import { formatDisputeStatus, formatMoney } from "@/lib/display-format";
import type { PaymentDetailResponse } from "@/lib/schemas/payment-response";
import type { PaymentKey } from "@/server/payments/payment-key";
import { RefundList } from "./refund-list";
import { statusExplanation } from "./status-explanation";

type Props = { payment: PaymentDetailResponse; idempotencyKey: PaymentKey | null };

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
        <DetailRow term="Date">
          <LocalTime iso={payment.createdAt} />
        </DetailRow>
        <DetailRow term="Description">{payment.description ?? <span className="text-slate-500">None</span>}</DetailRow>
        <DetailRow term="Card">
          {card ? (
            <CardLabel card={card} />
          ) : (
            <span className="text-slate-500">Not known</span>
          )}
        </DetailRow>
        {payment.failureCode && (
          <DetailRow term="Failure code">
            <code className="break-all font-mono text-xs">{payment.failureCode}</code>
          </DetailRow>
        )}
        <DetailRow term="PaymentIntent">
          <code className="break-all font-mono text-xs">{payment.paymentIntentId}</code>
        </DetailRow>
        <DetailRow term="Idempotency key">
          {idempotencyKey ? (
            <>
              <code className="break-all font-mono text-xs">{idempotencyKey.key}</code>
              {idempotencyKey.expired && <span className="text-slate-500"> (expired: the same key now starts a new payment)</span>}
            </>
          ) : (
            <span className="text-slate-500">Expired: keys are kept for a day, then cleaned up.</span>
          )}
        </DetailRow>
        {payment.amountRefunded > 0 && (
          <DetailRow term="Refunded">
            <span className="font-medium tabular-nums">{money(payment.amountRefunded)}</span>
            {payment.amountRefunded >= payment.amount && " (in full)"}
          </DetailRow>
        )}
        {payment.amountRefundFailed > 0 && (
          <DetailRow term="Refund failed">
            <span className="text-red-700">
              <span className="font-medium tabular-nums">{money(payment.amountRefundFailed)}</span> was not returned to the card
            </span>
          </DetailRow>
        )}
        {dispute && (
          <DetailRow term="Dispute">
            <span className="text-amber-900">
              {formatDisputeStatus(dispute.status)}
              {dispute.reason && ` (${dispute.reason.replaceAll("_", " ")})`}
              {dispute.amount !== null && <> · <span className="tabular-nums">{money(dispute.amount)}</span></>}
            </span>
          </DetailRow>
        )}
      </dl>

      {payment.refunds.length > 0 && <RefundList refunds={payment.refunds} currency={payment.currency} />}
    </section>
  );
}
