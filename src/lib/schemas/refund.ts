import { z } from "zod";
import { MAXIMUM_AMOUNT } from "../currencies";

/** Why a refund is made, as Stripe records it. */
export const REFUND_REASONS = ["requested_by_customer", "duplicate", "fraudulent"] as const;

/** Body of POST /api/payments/{id}/refunds. */
export const createRefundSchema = z
  .object({
    /** Minor units. Omitted: whatever is left to refund (resolved by Stripe, see create-refund.ts). */
    amount: z
      .number({ error: "amount must be an integer number of minor units (cents)" })
      .int("amount must be an integer number of minor units (cents)")
      .positive("amount must be at least 1")
      .max(MAXIMUM_AMOUNT, `amount must be at most ${MAXIMUM_AMOUNT}`)
      .optional(),
    reason: z.enum(REFUND_REASONS, { error: `reason must be one of: ${REFUND_REASONS.join(", ")}` }).optional(),
  })
  .strict()
  .meta({ examples: [{ amount: 1000, reason: "requested_by_customer" }] });

export type CreateRefundInput = z.infer<typeof createRefundSchema>;
