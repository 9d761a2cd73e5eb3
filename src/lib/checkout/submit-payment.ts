import type { CreatePaymentInput } from "../schemas/payment";
import { tolerantPaymentResponseSchema, type TolerantPaymentResponse } from "../schemas/payment-response";
import { keyedRequest, type KeyedAnswer, type Rejected, type RetryOptions, type Unanswered, type Verdict } from "./keyed-request";

export { MAX_ATTEMPTS, type RetryReason } from "./keyed-request";

/**
 * How a keyed payment request ended. `payment` and `declined` are final answers that the
 * server stored for this key; `rejected` is a refusal that retrying at once cannot change,
 * with the API's error `code` (null when the answer was not one of this API's problems, or
 * named a code this page does not know); `unanswered` means every attempt failed
 * transiently and the outcome is unknown.
 */
export type PaymentOutcome =
  | { kind: "payment"; payment: TolerantPaymentResponse; replayed: boolean }
  | { kind: "declined"; payment: TolerantPaymentResponse | null; declineCode: string | null; message: string; replayed: boolean }
  | Rejected
  | Unanswered;

type Options = RetryOptions & { key: string; request: CreatePaymentInput };

type Settled = Extract<PaymentOutcome, { kind: "payment" | "declined" }>;

/**
 * POSTs the payment with its Idempotency-Key and retries with the same key and body until a
 * final answer (keyed-request.ts); a decline is one, and so is a refusal.
 */
export function submitPayment({ request, ...options }: Options): Promise<PaymentOutcome> {
  return keyedRequest({
    ...options,
    send: (api, header) => api.POST("/api/payments", { params: { header }, body: request }),
    subject: "payment",
    classify: paymentVerdict,
  });
}

/** The answers only a payment has: its 201, and a card declined (402). */
function paymentVerdict({ status, body, replayed, problem }: KeyedAnswer): Verdict<Settled> | undefined {
  if (status === 201) {
    const payment = tolerantPaymentResponseSchema.safeParse(body);
    // Created, but the answer did not arrive whole: the server stored it, so the same key
    // gets it again, complete.
    return payment.success ? { done: { kind: "payment", payment: payment.data, replayed } } : { retry: "network" };
  }
  if (problem?.code === "card_declined") {
    const { payment, declineCode, detail } = problem;
    return { done: { kind: "declined", payment: payment ?? null, declineCode: declineCode ?? null, message: detail, replayed } };
  }
  // A decline that did not arrive whole: the retry gets it again, complete.
  if (status === 402 && !problem) return { retry: "network" };
  return undefined;
}
