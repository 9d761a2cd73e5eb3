import "server-only";
import type { PaymentDetailResponse } from "@/lib/schemas/payment-response";
import { db } from "@/server/db";
import { ApiError } from "@/server/http/api-error";
import { isUuid } from "./is-uuid";
import { paymentView } from "./payment-view";
import { refundView } from "./refund-view";

/**
 * One of the user's payments with its refunds, oldest first (GET /api/payments/{id}).
 * Another user's payment is indistinguishable from none: 404.
 */
export async function getPayment(userId: string, paymentId: string): Promise<PaymentDetailResponse> {
  const payment = isUuid(paymentId)
    ? await db().payment.findFirst({
        where: { id: paymentId, userId },
        include: { refunds: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] } },
      })
    : null;
  if (!payment) throw new ApiError("not_found", "No such payment.");
  return { ...paymentView(payment), refunds: payment.refunds.map(refundView) };
}
