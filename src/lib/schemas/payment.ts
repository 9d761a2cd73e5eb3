import { z } from "zod";
import { CURRENCIES, CURRENCY_CODES, MAXIMUM_AMOUNT } from "../currencies";
import { userText } from "./user-text";

/** Stripe's test payment methods that the pay page offers, and what each one does. */
export const TEST_PAYMENT_METHODS = {
  pm_card_visa: "Visa — succeeds",
  pm_card_chargeDeclined: "Visa — declined",
  pm_card_authenticationRequired: "Visa — needs authentication (3D Secure)",
} as const;

export const createPaymentSchema = z
  .object({
    amount: z
      .number({ error: "amount must be an integer number of minor units (cents)" })
      .int("amount must be an integer number of minor units (cents)")
      .max(MAXIMUM_AMOUNT, `amount must be at most ${MAXIMUM_AMOUNT}`),
    currency: z.enum(CURRENCY_CODES, { error: `currency must be one of: ${CURRENCY_CODES.join(", ")}` }),
    paymentMethod: z
      .string()
      .regex(/^pm_[A-Za-z0-9_]{1,100}$/, "paymentMethod must be a Stripe PaymentMethod id (pm_…)"),
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
  });

export type CreatePaymentInput = z.infer<typeof createPaymentSchema>;

export const listPaymentsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** Opaque cursor from the previous page's `nextCursor`. */
  cursor: userText({ label: "cursor", max: 200 }).optional(),
});
