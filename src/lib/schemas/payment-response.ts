import { z } from "zod";
import { refundResponseSchema } from "./refund-response";

/**
 * A payment's statuses: the PaymentIntent statuses the API mirrors, and `failed` for a
 * declined card. prisma/schema.prisma's PaymentStatus holds the same: one there and not here
 * fails the typecheck of the server's paymentView, either way round payment-view.test.ts.
 */
export const PAYMENT_STATUSES = [
  "requires_payment_method",
  "requires_confirmation",
  "requires_action",
  "processing",
  "requires_capture",
  "canceled",
  "succeeded",
  "failed",
] as const;

export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/**
 * The payment resource of POST /api/payments, GET /api/payments and GET /api/payments/{id}
 * (docs/API.md) as this release writes it: the one definition, which the server's
 * paymentView returns, so a field added here and not there (or there and not here) fails the
 * typecheck. Fields are listed in the order the server writes them: answers are stored as
 * text and replayed byte for byte, so the order is part of the contract (payment-view.test.ts).
 */
export const paymentResponseSchema = z.object({
  id: z.string(),
  status: z.enum(PAYMENT_STATUSES),
  amount: z.number().int(),
  currency: z.string(),
  description: z.string().nullable(),
  /** The card as Stripe reported it; null when it is not known (e.g. recorded from a webhook). */
  card: z.object({ brand: z.string(), last4: z.string() }).nullable(),
  paymentIntentId: z.string(),
  /** Only while the status is requires_action: what Stripe.js needs to authenticate. */
  clientSecret: z.string().optional(),
  failureCode: z.string().nullable(),
  amountRefunded: z.number().int(),
  /** Refunds that failed after they were made: their amount is no longer in amountRefunded. */
  amountRefundFailed: z.number().int(),
  /** The dispute on the payment's charge, if any. */
  dispute: z
    .object({
      id: z.string(),
      /** Stripe's: needs_response, under_review, won, lost, … */
      status: z.string(),
      reason: z.string().nullable(),
      amount: z.number().int().nullable(),
    })
    .nullable(),
  createdAt: z.string(),
});

export type PaymentResponse = z.infer<typeof paymentResponseSchema>;

/**
 * A payment answer as a browser reads it, whichever release wrote it. A retry gets the
 * answer stored for its key when it was first made (kept up to a day), and a page loaded
 * before a deploy reads the answers of the next release, so:
 *
 * - fields added after the first release are optional: `amountRefundFailed`, `dispute` and
 *   `card` are absent from answers stored before failed refunds, disputes and cards were shown. A field
 *   added to paymentResponseSchema later is added to this list too;
 * - `status` is any string, so that a status added later does not make a payment unreadable;
 * - unknown fields are ignored (not strict).
 */
export const tolerantPaymentResponseSchema = paymentResponseSchema
  .extend({ status: z.string() })
  .partial({ amountRefundFailed: true, dispute: true, card: true });

export type TolerantPaymentResponse = z.infer<typeof tolerantPaymentResponseSchema>;

/** GET /api/payments: one page of the caller's payments, newest first. */
export const paymentListResponseSchema = z.object({
  data: z.array(paymentResponseSchema),
  /** Opaque: pass it as `?cursor=` for the next page; null on the last one. */
  nextCursor: z.string().nullable(),
});

export type PaymentListResponse = z.infer<typeof paymentListResponseSchema>;

/** GET /api/payments/{id}: the payment with its refunds, oldest first. */
export const paymentDetailResponseSchema = paymentResponseSchema.extend({ refunds: z.array(refundResponseSchema) });

export type PaymentDetailResponse = z.infer<typeof paymentDetailResponseSchema>;
