import "server-only";
import type { Payment } from "@prisma/client";

/** The payment resource as this API shows it (not Stripe's object). */
export type PaymentView = {
  id: string;
  status: Payment["status"];
  amount: number;
  currency: string;
  description: string | null;
  paymentIntentId: string;
  clientSecret?: string;
  failureCode: string | null;
  amountRefunded: number;
  /** Refunds that failed after they were made: their amount is no longer in amountRefunded. */
  amountRefundFailed: number;
  /** The dispute on the payment's charge, if any: `status` is Stripe's (needs_response, under_review, won, lost, …). */
  dispute: { id: string; status: string; reason: string | null; amount: number | null } | null;
  createdAt: string;
};

type LaterColumns = Pick<Payment, "amountRefundFailed" | "disputeId" | "disputeStatus" | "disputeReason" | "disputeAmount">;

export function paymentView(
  payment: Pick<Payment, "id" | "status" | "amount" | "currency" | "description" | "stripePaymentIntentId" | "failureCode" | "amountRefunded" | "createdAt"> &
    Partial<LaterColumns>,
  clientSecret?: string | null,
): PaymentView {
  return {
    id: payment.id,
    status: payment.status,
    amount: payment.amount,
    currency: payment.currency,
    description: payment.description,
    paymentIntentId: payment.stripePaymentIntentId,
    ...(clientSecret ? { clientSecret } : {}),
    failureCode: payment.failureCode,
    amountRefunded: payment.amountRefunded,
    amountRefundFailed: payment.amountRefundFailed ?? 0,
    dispute:
      payment.disputeId && payment.disputeStatus
        ? { id: payment.disputeId, status: payment.disputeStatus, reason: payment.disputeReason ?? null, amount: payment.disputeAmount ?? null }
        : null,
    createdAt: payment.createdAt.toISOString(),
  };
}

export function paymentLocation(id: string): string {
  return `/api/payments/${id}`;
}
