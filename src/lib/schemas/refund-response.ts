import { z } from "zod";

/** A refund's statuses, Stripe's: prisma/schema.prisma's RefundStatus holds the same (refund-view.test.ts). */
export const REFUND_STATUSES = ["pending", "requires_action", "succeeded", "failed", "canceled"] as const;

/**
 * The refund resource of POST /api/payments/{id}/refunds, GET …/refunds and
 * GET …/refunds/{refundId} (docs/API.md): the one definition, which the server's refundView
 * returns. Fields in the order the server writes them, since stored answers are replayed as
 * text (refund-view.test.ts pins it).
 */
export const refundResponseSchema = z.object({
  id: z.string(),
  paymentId: z.string(),
  amount: z.number().int(),
  status: z.enum(REFUND_STATUSES),
  stripeRefundId: z.string(),
  createdAt: z.string(),
});

export type RefundResponse = z.infer<typeof refundResponseSchema>;

/** GET /api/payments/{id}/refunds: the payment's refunds, oldest first. */
export const refundListResponseSchema = z.object({ data: z.array(refundResponseSchema) });
