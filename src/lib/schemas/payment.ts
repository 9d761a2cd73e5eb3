import { z } from "zod";
import { CURRENCIES, CURRENCY_CODES, MAXIMUM_AMOUNT } from "../currencies";
import { userText } from "./user-text";

const ONE_WAY_TO_PAY = "send exactly one of paymentMethod and confirmationToken";

/**
 * POST /api/payments. The card comes as exactly one of:
 * - `confirmationToken` (`ctoken_…`): what Stripe.js's Payment Element makes in the browser;
 * - `paymentMethod` (`pm_…`): a PaymentMethod id, e.g. Stripe's test `pm_card_visa`, for scripts.
 */
export const createPaymentSchema = z
  .object({
    amount: z
      .number({ error: "amount must be an integer number of minor units (cents)" })
      .int("amount must be an integer number of minor units (cents)")
      .max(MAXIMUM_AMOUNT, `amount must be at most ${MAXIMUM_AMOUNT}`),
    currency: z.enum(CURRENCY_CODES, { error: `currency must be one of: ${CURRENCY_CODES.join(", ")}` }),
    paymentMethod: z
      .string()
      .regex(/^pm_[A-Za-z0-9_]{1,100}$/, "paymentMethod must be a Stripe PaymentMethod id (pm_…)")
      .optional(),
    confirmationToken: z
      .string()
      .regex(/^ctoken_[A-Za-z0-9_]{1,100}$/, "confirmationToken must be a Stripe ConfirmationToken id (ctoken_…)")
      .optional(),
    description: userText({ label: "description", min: 1, max: 500 }).optional(),
  })
  .strict()
  .superRefine((payment, ctx) => {
    const minimum = CURRENCIES[payment.currency].minimum;
    if (payment.amount < minimum) {
      ctx.addIssue({
        code: "custom",
        path: ["amount"],
        message: `amount must be at least ${minimum} for ${payment.currency}`,
      });
    }
    if ((payment.paymentMethod === undefined) === (payment.confirmationToken === undefined)) {
      ctx.addIssue({ code: "custom", path: [payment.paymentMethod === undefined ? "paymentMethod" : "confirmationToken"], message: ONE_WAY_TO_PAY });
    }
  })
  // The OpenAPI document's example (GET /api/openapi.json): one that the API accepts as is.
  .meta({ examples: [{ amount: 2500, currency: "eur", paymentMethod: "pm_card_visa", description: "Order 1001" }] });

export type CreatePaymentInput = z.infer<typeof createPaymentSchema>;

export const listPaymentsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor: userText({ label: "cursor", max: 200 }).optional(),
});
