import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { env, stripeJsConfig } from "@/env";
import { formatMoney } from "@/lib/display-format";
import type { PaymentDetailResponse } from "@/lib/schemas/payment-response";
import { requirePageUser } from "@/server/auth/require-page-user";
import { ApiError } from "@/server/http/api-error";
import { getPayment } from "@/server/payments/get-payment";
import { paymentTimeline } from "@/server/payments/payment-timeline";
import { CompleteAuthentication } from "./complete-authentication";
import { paymentKey } from "@/server/payments/payment-key";
import { Receipt } from "./receipt";
import { RefundPanel } from "./refund-panel";
import { Timeline } from "./timeline";

export const metadata: Metadata = { title: "Payment · Idempotent payments" };

type Props = { params: Promise<{ id: string }> };

/**
 * One of the signed-in user's payments: its receipt and refunds, Stripe's timeline of it, and
 * what can still be done: refund it, or complete its 3-D Secure step. Another user's payment,
 * or an id that names none, is the 404 page.
 */
export default async function PaymentPage({ params }: Props) {
  const { id } = await params;
  const user = await requirePageUser(`/payments/${encodeURIComponent(id)}`);
  // With refresh, an unsettled payment is re-read from Stripe: the page shows the latest word.
  const payment = await readPayment(user.id, id);
  const [timeline, key] = await Promise.all([paymentTimeline(user.id, payment.id), paymentKey(user.id, payment.id)]);

  return (
    <main className="mx-auto flex w-full max-w-4xl flex-col gap-6 px-4 py-8 sm:px-6 sm:py-12">
      <div className="flex flex-col gap-3">
        <Link
          href="/payments"
          className="self-start rounded text-sm font-medium text-indigo-700 underline-offset-4 hover:underline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
        >
          ← Payments
        </Link>
        <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">
          Payment of <span className="tabular-nums">{formatMoney(payment.amount, payment.currency)}</span>
        </h1>
      </div>

      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_18rem] lg:items-start">
        <div className="flex min-w-0 flex-col gap-6">
          <CompleteAuthentication
            paymentId={payment.id}
            status={payment.status}
            clientSecret={payment.clientSecret ?? null}
            stripeJs={stripeJsConfig(env())}
          />
          <Receipt payment={payment} idempotencyKey={key} />
          {payment.status === "succeeded" && (
            <RefundPanel paymentId={payment.id} currency={payment.currency} remaining={Math.max(payment.amount - payment.amountRefunded, 0)} />
          )}
        </div>
        <Timeline events={timeline.map((entry) => ({ ...entry, occurredAt: entry.occurredAt.toISOString() }))} />
      </div>
    </main>
  );
}

async function readPayment(userId: string, paymentId: string): Promise<PaymentDetailResponse> {
  try {
    return await getPayment(userId, paymentId, { refresh: true });
  } catch (error) {
    if (error instanceof ApiError && error.code === "not_found") notFound();
    throw error;
  }
}
