import "server-only";
import type { Refund } from "@prisma/client";

/** The refund resource as this API shows it (not Stripe's object). */
export type RefundView = {
  id: string;
  paymentId: string;
  amount: number;
  status: string;
  stripeRefundId: string;
  createdAt: string;
};

export function refundView(refund: Pick<Refund, "id" | "paymentId" | "amount" | "status" | "stripeRefundId" | "createdAt">): RefundView {
  return {
    id: refund.id,
    paymentId: refund.paymentId,
    amount: refund.amount,
    status: refund.status,
    stripeRefundId: refund.stripeRefundId,
    createdAt: refund.createdAt.toISOString(),
  };
}

export function refundLocation(paymentId: string, refundId: string): string {
  return `/api/payments/${paymentId}/refunds/${refundId}`;
}
