import { z } from "zod";
import { ERROR_CODE_NAMES, RETRY_HINTS } from "../error-codes";
import { paymentResponseSchema, tolerantPaymentResponseSchema } from "./payment-response";

/**
 * The members a problem may carry beyond RFC 9457's, each with the codes that set it: the
 * server's ApiError takes exactly these, so a new one is declared here first.
 */
const problemExtensionsSchema = z
  .object({
    /** invalid_request: every field error, `path` dot-joined ("" for the whole body). */
    errors: z.array(z.object({ path: z.string(), message: z.string() })),
    /** card_declined: the issuer's decline code. */
    declineCode: z.string().nullable(),
    /** card_declined: the failed payment. */
    payment: paymentResponseSchema,
    /** refund_exceeds_remaining: minor units left to refund. */
    amountRemaining: z.number().int(),
    /** outcome_not_recorded: the Stripe object processed (pi_…, re_…), if known. */
    stripeObjectId: z.string().nullable(),
    /** rate_limited: requests allowed per minute. */
    limit: z.number().int(),
  })
  .partial();

export type ProblemExtensions = z.infer<typeof problemExtensionsSchema>;

/**
 * An RFC 9457 problem document as this API writes it (application/problem+json): the one
 * definition, which the server's problem() returns. `code` is what clients branch on.
 */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.enum(ERROR_CODE_NAMES),
  /** What a client may do now (error-codes.ts RETRY_HINTS): the same for every answer with this code. */
  retry: z.enum(RETRY_HINTS),
  requestId: z.string(),
  ...problemExtensionsSchema.shape,
});

export type Problem = z.infer<typeof problemSchema>;

/**
 * A problem as a browser reads it, whichever release wrote it: a code added later is still
 * read (the client falls back on the status for a code it does not know), and the payment of
 * a stored decline is read as tolerantly as any payment answer.
 */
export const tolerantProblemSchema = problemSchema.extend({
  code: z.string(),
  /** Absent from answers stored before the hint existed (a decline is replayed for a day). */
  retry: z.string().optional(),
  payment: tolerantPaymentResponseSchema.optional(),
});

export type TolerantProblem = z.infer<typeof tolerantProblemSchema>;
