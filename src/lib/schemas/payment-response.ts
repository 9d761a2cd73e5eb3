import { z } from "zod";

/**
 * The payment resource as POST/GET /api/payments answer it (docs/API.md), for code that
 * cannot import the server's view type: the pay page reads responses through this.
 * Not strict, and `status` is any string, so that a field or status added later on the
 * server does not break a page already loaded in a browser.
 */
export const paymentResponseSchema = z.object({
  id: z.string(),
  status: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  description: z.string().nullable(),
  paymentIntentId: z.string(),
  clientSecret: z.string().optional(),
  failureCode: z.string().nullable(),
  amountRefunded: z.number().int(),
  /** Absent in answers stored before failed refunds and disputes were shown. */
  amountRefundFailed: z.number().int().optional(),
  /** Absent in answers stored before failed refunds and disputes were shown. */
  dispute: z
    .object({ id: z.string(), status: z.string(), reason: z.string().nullable(), amount: z.number().int().nullable() })
    .nullable()
    .optional(),
  createdAt: z.string(),
});

export type PaymentResponse = z.infer<typeof paymentResponseSchema>;

/** An RFC 9457 problem document of this API, with the members the pay page uses. */
export const problemResponseSchema = z.object({
  status: z.number().int(),
  code: z.string(),
  detail: z.string(),
  title: z.string().optional(),
  requestId: z.string().optional(),
  /** 402 card_declined only. */
  declineCode: z.string().nullable().optional(),
  /** 402 card_declined only: the failed payment. */
  payment: paymentResponseSchema.optional(),
});

export type ProblemResponse = z.infer<typeof problemResponseSchema>;
