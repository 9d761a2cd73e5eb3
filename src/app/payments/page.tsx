import type { Metadata } from "next";
import Link from "next/link";
import { CardLabel } from "@/components/card-label";
import { LocalTime } from "@/components/local-time";
import { PaymentStatusBadge } from "@/components/payment-status-badge";
import { formatDisputeStatus, formatMoney } from "@/lib/display-format";
import { listPaymentsQuerySchema } from "@/lib/schemas/payment";
import type { PaymentListResponse, PaymentResponse } from "@/lib/schemas/payment-response";
import { requirePageUser } from "@/server/auth/require-page-user";
import { ApiError } from "@/server/http/api-error";
import { listPayments } from "@/server/payments/list-payments";

export const metadata: Metadata = { title: "Payments · Idempotent payments" };

const PAGE_SIZE = 10;

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

const buttonClass =
  "rounded-md bg-indigo-600 px-4 py-2 text-center font-medium text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";
const linkClass =
  "rounded font-medium text-indigo-700 underline-offset-4 hover:underline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

/** The signed-in user's payments, newest first, from the same query as GET /api/payments. */
export default async function PaymentsPage({ searchParams }: Props) {
  const requested = (await searchParams).cursor;
  const cursor = Array.isArray(requested) ? requested[0] : requested;
  const user = await requirePageUser(cursor ? `/payments?${new URLSearchParams({ cursor })}` : "/payments");
  const page = await readPage(user.id, cursor);

  return (
    <main className="mx-auto flex w-full max-w-4xl flex-col gap-6 px-4 py-8 sm:px-6 sm:py-12">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div className="flex flex-col gap-1">
          <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">Payments</h1>
          <p className="text-slate-600">Everything you paid, newest first.</p>
        </div>
        <Link href="/pay" className={buttonClass}>
          New payment
        </Link>
      </div>

      {page === null ? (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          This page link is no longer valid.{" "}
          <Link href="/payments" className="font-medium underline">
            Show the newest payments
          </Link>
          .
        </p>
      ) : page.data.length === 0 && !cursor ? (
        <EmptyState />
      ) : (
        <section aria-labelledby="payment-list" className="flex flex-col gap-4">
          <h2 id="payment-list" className="sr-only">
            Your payments
          </h2>
          {page.data.length === 0 ? (
            <p className="text-slate-600">No older payments.</p>
          ) : (
            <ul
              role="list"
              aria-labelledby="payment-list"
              className="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm"
            >
              {page.data.map((payment) => (
                <PaymentRow key={payment.id} payment={payment} />
              ))}
            </ul>
          )}
          <nav aria-label="Pagination" className="flex flex-wrap items-center justify-between gap-3 text-sm">
            {cursor ? (
              <Link href="/payments" className={linkClass}>
                ← Newest payments
              </Link>
            ) : (
              <span />
            )}
            {page.nextCursor && (
              <Link href={`/payments?${new URLSearchParams({ cursor: page.nextCursor })}`} className={linkClass}>
                Older payments →
              </Link>
            )}
          </nav>
        </section>
      )}
    </main>
  );
}

/** One page of payments; null when the cursor is not one the API handed out. */
async function readPage(userId: string, cursor: string | undefined): Promise<PaymentListResponse | null> {
  const query = listPaymentsQuerySchema.safeParse({ limit: PAGE_SIZE, cursor });
  if (!query.success) return null;
  try {
    return await listPayments(userId, query.data);
  } catch (error) {
    if (error instanceof ApiError && error.code === "invalid_request") return null;
    throw error;
  }
}

/**
 * A payment, linked to its page: the whole row is the link's target (its ::after covers the
 * row), while the one link keeps a single tab stop and a name for screen readers.
 */
function PaymentRow({ payment }: { payment: PaymentResponse }) {
  const money = (amount: number) => formatMoney(amount, payment.currency);
  return (
    <li className="relative flex flex-col gap-2 px-4 py-4 hover:bg-slate-50 has-focus-visible:bg-slate-50 sm:flex-row sm:items-center sm:gap-6 sm:px-6">
      <div className="flex min-w-0 grow flex-col gap-1">
        <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
          <span className="text-base font-semibold tabular-nums">{money(payment.amount)}</span>
          <PaymentStatusBadge status={payment.status} failureCode={payment.failureCode} />
        </div>
        <p className="text-sm text-slate-600">
          {payment.description ?? "Card payment"}
          {payment.card && (
            <>
              {" "}
              · <CardLabel card={payment.card} />
            </>
          )}{" "}
          · <LocalTime iso={payment.createdAt} />
        </p>
        {payment.amountRefunded > 0 && (
          <p className="text-sm text-slate-700">
            {payment.amountRefunded >= payment.amount ? "Refunded in full" : "Refunded"}:{" "}
            <span className="font-medium tabular-nums">{money(payment.amountRefunded)}</span>
          </p>
        )}
        {payment.amountRefundFailed > 0 && (
          <p className="text-sm text-red-700">
            Refund failed: <span className="font-medium tabular-nums">{money(payment.amountRefundFailed)}</span> was not returned
            to the card
          </p>
        )}
        {payment.dispute && (
          <p className="text-sm text-amber-900">
            Disputed{payment.dispute.reason ? ` (${payment.dispute.reason.replaceAll("_", " ")})` : ""}:{" "}
            {formatDisputeStatus(payment.dispute.status)}
            {payment.dispute.amount !== null && (
              <>
                {" "}
                · <span className="font-medium tabular-nums">{money(payment.dispute.amount)}</span>
              </>
            )}
          </p>
        )}
        {payment.failureCode && <p className="text-sm text-red-700">Decline code: {payment.failureCode}</p>}
      </div>
      {/* Above the row's link, so that the id can be selected and copied. */}
      <code className="relative z-10 min-w-0 truncate font-mono text-xs text-slate-500 sm:max-w-64" title={payment.paymentIntentId}>
        {payment.paymentIntentId}
      </code>
      {/* Not prefetched: ten dynamic pages rendered on every visit to the history, for the one opened. */}
      <Link
        href={`/payments/${encodeURIComponent(payment.id)}`}
        prefetch={false}
        className={`shrink-0 self-start text-sm after:absolute after:inset-0 sm:self-center ${linkClass}`}
      >
        View<span className="sr-only"> the {money(payment.amount)} payment</span>
        <span aria-hidden="true"> →</span>
      </Link>
    </li>
  );
}

function EmptyState() {
  return (
    <div className="flex flex-col items-center gap-3 rounded-xl border border-dashed border-slate-300 bg-white px-6 py-14 text-center">
      <svg aria-hidden="true" viewBox="0 0 24 24" className="size-10 text-slate-400" fill="none" stroke="currentColor" strokeWidth="1.5">
        <rect x="3" y="5" width="18" height="14" rx="2" />
        <path d="M3 10h18M7 15h4" />
      </svg>
      <h2 className="text-lg font-semibold">No payments yet</h2>
      <p className="max-w-sm text-slate-600">Payments you make appear here, newest first, with their status.</p>
      <Link href="/pay" className={buttonClass}>
        Make a payment
      </Link>
    </div>
  );
}
