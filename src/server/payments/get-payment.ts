import "server-only";
import { db } from "@/server/db";
import { ApiError } from "@/server/http/api-error";
import { isUuid } from "./is-uuid";
import { paymentView, type PaymentView } from "./payment-view";
import { refundView, type RefundView } from "./refund-view";

/** A payment with its refunds, oldest first (GET /api/payments/{id}). */
export type PaymentDetail = PaymentView & { refunds: RefundView[] };

/** One of the user's payments. Another user's payment is indistinguishable from none: 404. */
export async function getPayment(userId: string, paymentId: string): Promise<PaymentDetail> {
  const payment = isUuid(paymentId)
    ? await db().payment.findFirst({
        where: { id: paymentId, userId },
        include: { refunds: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] } },
      })
    : null;
  if (!payment) throw new ApiError("not_found", "No such payment.");
  return { ...paymentView(payment), refunds: payment.refunds.map(refundView) };
}
