import { LocalTime } from "@/components/local-time";
import { formatMoney } from "@/lib/display-format";
import type { RefundResponse } from "@/lib/schemas/refund-response";

/** Stripe's refund statuses, as a customer reads them; a status added later shows as is. */
const REFUND_STATUSES: Record<string, string> = {
  succeeded: "Refunded",
  pending: "Pending",
  requires_action: "Needs action",
  failed: "Failed: the money went back to the balance",
  canceled: "Canceled",
};

/** A payment's refunds, oldest first: how much, where each stands, and when it was made. */
export function RefundList({ refunds, currency }: { refunds: RefundResponse[]; currency: string }) {
  return (
    <div className="border-t border-slate-200 px-5 py-4 sm:px-6">
      <h3 id="refunds-heading" className="text-sm font-semibold">
        Refunds
      </h3>
      <ul aria-labelledby="refunds-heading" className="mt-2 divide-y divide-slate-100 text-sm">
        {refunds.map((refund) => (
          <li key={refund.id} className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 py-2">
            <span className="font-medium tabular-nums">{formatMoney(refund.amount, currency)}</span>
            <span className={refund.status === "failed" ? "text-red-700" : "text-slate-700"}>
              {Object.hasOwn(REFUND_STATUSES, refund.status) ? REFUND_STATUSES[refund.status] : refund.status}
            </span>
            <LocalTime iso={refund.createdAt} className="w-full text-slate-500 sm:w-auto" />
          </li>
        ))}
      </ul>
    </div>
  );
}
