import type { Metadata } from "next";
import Link from "next/link";
import { requirePageUser } from "@/server/auth/require-page-user";
import { paymentIdOfIntent } from "@/server/payments/payment-key";
import { ReturnStatus } from "./return-status";

export const metadata: Metadata = { title: "Payment · Idempotent payments" };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

/**
 * Where Stripe brings the customer back after a redirect-based payment method or a
 * redirected 3-D Secure step, with `?payment_intent=pi_…&redirect_status=…` appended
 * (docs.stripe.com/payments/accept-a-payment-deferred). The query says which payment, never
 * how it went: `redirect_status` is the customer's URL, so the outcome is read from our
 * server, which re-reads Stripe. A PaymentIntent that is not one of the user's is not found.
 */
export default async function PayReturnPage({ searchParams }: Props) {
  const query = await searchParams;
  const intentId = typeof query.payment_intent === "string" ? query.payment_intent : null;
  const user = await requirePageUser(intentId ? `/pay/return?${new URLSearchParams({ payment_intent: intentId })}` : "/pay/return");
  const paymentId = intentId ? await paymentIdOfIntent(user.id, intentId) : null;

  return (
    <main className="mx-auto flex w-full max-w-xl flex-col gap-6 px-4 py-8 sm:px-6 sm:py-12">
      <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">Your payment</h1>
      {paymentId ? (
        <ReturnStatus paymentId={paymentId} />
      ) : (
        <div className="flex flex-col gap-3 rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6">
          <p role="alert" className="text-slate-700">
            We could not find this payment in your account. If you just paid, it appears in your payment history once
            recorded.
          </p>
          <Link href="/payments" className="font-medium text-indigo-700 underline-offset-4 hover:underline">
            Go to your payments
          </Link>
        </div>
      )}
    </main>
  );
}
