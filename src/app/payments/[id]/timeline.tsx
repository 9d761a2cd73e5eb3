import { LocalTime } from "@/components/local-time";

export type TimelineItem = { eventId: string; type: string; occurredAt: string };

/** Stripe's event types, as a customer reads them; a type not listed shows as Stripe names it. */
const EVENT_LABELS: Record<string, string> = {
  "payment_intent.created": "Payment started",
  "payment_intent.requires_action": "Authentication requested",
  "payment_intent.processing": "Payment processing",
  "payment_intent.succeeded": "Payment succeeded",
  "payment_intent.payment_failed": "Payment failed",
  "payment_intent.canceled": "Payment canceled",
  "charge.succeeded": "Card charged",
  "charge.failed": "Charge failed",
  "charge.refunded": "Charge refunded",
  "charge.refund.updated": "Refund updated",
  "refund.created": "Refund created",
  "refund.updated": "Refund updated",
  "refund.failed": "Refund failed",
  "charge.dispute.created": "Dispute opened",
  "charge.dispute.updated": "Dispute updated",
  "charge.dispute.closed": "Dispute closed",
  "charge.dispute.funds_withdrawn": "Disputed amount withdrawn",
  "charge.dispute.funds_reinstated": "Disputed amount reinstated",
};

/** What Stripe told this app about the payment, by webhook, in the order it happened. */
export function Timeline({ events }: { events: TimelineItem[] }) {
  return (
    <section aria-labelledby="timeline-heading" className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6">
      <h2 id="timeline-heading" className="text-lg font-semibold">
        Timeline
      </h2>
      <p className="mt-1 text-sm text-slate-600">Updates from Stripe, oldest first.</p>
      {events.length === 0 ? (
        <p className="mt-4 rounded-lg border border-dashed border-slate-300 px-4 py-6 text-center text-sm text-slate-600">
          No updates from Stripe yet
        </p>
      ) : (
        <ol aria-labelledby="timeline-heading" className="mt-4 flex flex-col">
          {events.map((event, index) => {
            const label = Object.hasOwn(EVENT_LABELS, event.type) ? EVENT_LABELS[event.type] : undefined;
            return (
              <li key={event.eventId} className="relative flex gap-3 pb-4 last:pb-0">
                {index < events.length - 1 && <span aria-hidden="true" className="absolute left-[5px] top-4 h-full w-px bg-slate-200" />}
                <span aria-hidden="true" className="mt-1.5 size-2.5 shrink-0 rounded-full bg-indigo-500 ring-4 ring-indigo-50" />
                <div className="flex min-w-0 flex-col">
                  <span className="text-sm font-medium text-slate-900">{label ?? event.type}</span>
                  <LocalTime iso={event.occurredAt} className="text-xs text-slate-500" />
                  {label && <code className="break-all font-mono text-[11px] text-slate-400">{event.type}</code>}
                </div>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
