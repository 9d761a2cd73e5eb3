import "server-only";
import type { Payment } from "@prisma/client";
import type { PaymentResponse } from "@/lib/schemas/payment-response";

type LaterColumns = Pick<
  Payment,
  "amountRefundFailed" | "disputeId" | "disputeStatus" | "disputeReason" | "disputeAmount" | "cardBrand" | "cardLast4"
>;

/**
 * The payment resource as this API shows it (not Stripe's object); its shape is
 * paymentResponseSchema (src/lib/schemas/payment-response.ts). Built in that schema's field
 * order: a stored answer is replayed as this text.
 */
export function paymentView(
  payment: Pick<Payment, "id" | "status" | "amount" | "currency" | "description" | "stripePaymentIntentId" | "failureCode" | "amountRefunded" | "createdAt"> &
    Partial<LaterColumns>,
  clientSecret?: string | null,
): PaymentResponse {
  return {
    id: payment.id,
    status: payment.status,
    amount: payment.amount,
    currency: payment.currency,
    description: payment.description,
    card: payment.cardBrand && payment.cardLast4 ? { brand: payment.cardBrand, last4: payment.cardLast4 } : null,
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
