/** What is being paid, beside the form on wide screens and above it on narrow ones. */
export function OrderSummary({ total }: { total: string | null }) {
  return (
    <aside
      aria-labelledby="order-summary"
      className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6 lg:sticky lg:top-6 lg:col-start-2 lg:row-start-1"
    >
      <h2 id="order-summary" className="text-lg font-semibold">
        Order summary
      </h2>
      <dl className="mt-4 flex flex-col gap-3 text-sm">
        <div className="flex justify-between gap-4">
          <dt className="text-slate-600">Payment</dt>
          <dd className="tabular-nums">{total ?? "—"}</dd>
        </div>
        <div className="flex items-baseline justify-between gap-4 border-t border-slate-200 pt-3">
          <dt className="text-base font-semibold">Total due</dt>
          <dd className="text-2xl font-semibold tabular-nums tracking-tight">{total ?? "—"}</dd>
        </div>
      </dl>
      <p className="mt-5 flex gap-2 text-xs text-slate-500">
        <ShieldCheckIcon />
        <span>
          Charged once, even if you click twice, reload or lose your connection: every payment carries its own idempotency
          key.
        </span>
      </p>
    </aside>
  );
}

function ShieldCheckIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 24 24" className="mt-px size-4 shrink-0 text-emerald-600" fill="none" stroke="currentColor" strokeWidth="2">
      <path d="M12 3l7 3v5.5c0 4.2-2.9 7.9-7 9.5-4.1-1.6-7-5.3-7-9.5V6l7-3z" />
      <path d="M9 12l2 2 4-4" />
    </svg>
  );
}
