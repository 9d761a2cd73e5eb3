import "server-only";
import type { Refund } from "@prisma/client";
import type { RefundResponse } from "@/lib/schemas/refund-response";

/**
 * The refund resource as this API shows it (not Stripe's object); its shape is
 * refundResponseSchema (src/lib/schemas/refund-response.ts), built in that field order.
 */
export function refundView(refund: Pick<Refund, "id" | "paymentId" | "amount" | "status" | "stripeRefundId" | "createdAt">): RefundResponse {
  return {
    id: refund.id,
    paymentId: refund.paymentId,
    amount: refund.amount,
    status: refund.status,
    stripeRefundId: refund.stripeRefundId,
    createdAt: refund.createdAt.toISOString(),
  };
}
