import "server-only";
import type { Payment, PaymentStatus } from "@prisma/client";
import { Prisma } from "@prisma/client";
import type { PaymentDetailResponse } from "@/lib/schemas/payment-response";
import { db } from "@/server/db";
import { ApiError } from "@/server/http/api-error";
import { stripe } from "@/server/stripe";
import { cardOf, declineOf, failureCodeOf } from "./create-payment";
import { isUuid } from "./is-uuid";
import { paymentStatus } from "./payment-status";
import { paymentView } from "./payment-view";
import { upsertPayment } from "./payment-writes";
import { refundView } from "./refund-view";
import { timedStripeCall } from "./timed-stripe-call";

/** Statuses that the customer or the bank may still change: Stripe has the latest word. */
const UNSETTLED: ReadonlySet<PaymentStatus> = new Set<PaymentStatus>(["requires_action", "requires_confirmation", "processing"]);

type Options = {
  /**
   * Re-read an unsettled payment's PaymentIntent from Stripe and record what it says, as a
   * webhook would: the page that just ran 3-D Secure reads the outcome here, whether or not
   * webhooks reach this server. A payment still requiring action comes with the client
   * secret Stripe.js needs to complete it.
   */
  refresh?: boolean;
};

/**
 * One of the user's payments with its refunds, oldest first (GET /api/payments/{id}).
 * Another user's payment is indistinguishable from none: 404.
 */
export async function getPayment(userId: string, paymentId: string, options: Options = {}): Promise<PaymentDetailResponse> {
  let payment = isUuid(paymentId) ? await findPayment(userId, paymentId) : null;
  if (!payment) throw new ApiError("not_found", "No such payment.");
  let clientSecret: string | null = null;
  if (options.refresh && UNSETTLED.has(payment.status)) {
    const refreshed = await refreshFromStripe(payment);
    if (refreshed) {
      clientSecret = refreshed.clientSecret;
      payment = (await findPayment(userId, paymentId)) ?? payment;
    }
  }
  return { ...paymentView(payment, clientSecret), refunds: payment.refunds.map(refundView) };
}

function findPayment(userId: string, paymentId: string) {
  return db().payment.findFirst({
    where: { id: paymentId, userId },
    include: { refunds: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] } },
  });
}

/**
 * Records the intent's current state through the one payment upsert (status only moves
 * forward). Stripe unreachable is not an error here: the stored state is shown, and the
 * webhook or the next read brings the news.
 */
async function refreshFromStripe(payment: Payment): Promise<{ clientSecret: string | null } | null> {
  let intent;
  try {
    intent = await timedStripeCall("payment_intents.retrieve", () =>
      stripe().paymentIntents.retrieve(payment.stripePaymentIntentId, { expand: ["payment_method"] }),
    );
  } catch {
    return null;
  }
  const decline = declineOf(intent);
  const status: PaymentStatus = decline ? "failed" : paymentStatus(intent.status);
  const card = cardOf(intent);
  await db().$executeRaw(
    upsertPayment(
      {
        id: Prisma.sql`${payment.id}::uuid`,
        userId: Prisma.sql`${payment.userId}::uuid`,
        amount: payment.amount,
        currency: payment.currency,
        description: null,
        status,
        stripePaymentIntentId: payment.stripePaymentIntentId,
        failureCode: failureCodeOf(decline),
        cardBrand: card?.brand ?? null,
        cardLast4: card?.last4 ?? null,
        idempotencyKeyId: Prisma.sql`NULL::uuid`,
        createdAt: Prisma.sql`${payment.createdAt}`,
      },
      Prisma.empty,
    ),
  );
  return { clientSecret: status === "requires_action" ? intent.client_secret : null };
}
