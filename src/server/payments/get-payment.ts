import "server-only";
import { db } from "@/server/db";
import { ApiError } from "@/server/http/api-error";
import { paymentView, type PaymentView } from "./payment-view";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One of the user's payments. Another user's payment is indistinguishable from none: 404. */
export async function getPayment(userId: string, paymentId: string): Promise<PaymentView> {
  const payment = UUID.test(paymentId) ? await db().payment.findFirst({ where: { id: paymentId, userId } }) : null;
  if (!payment) throw new ApiError("not_found", "No such payment.");
  return paymentView(payment);
}
