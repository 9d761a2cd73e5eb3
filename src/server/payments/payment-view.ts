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
  createdAt: string;
};

export function paymentView(
  payment: Pick<Payment, "id" | "status" | "amount" | "currency" | "description" | "stripePaymentIntentId" | "failureCode" | "amountRefunded" | "createdAt">,
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
    createdAt: payment.createdAt.toISOString(),
  };
}

export function paymentLocation(id: string): string {
  return `/api/payments/${id}`;
}
