import { z } from "zod";
import type { CreateRefundInput } from "../schemas/refund";
import { refundResponseSchema } from "../schemas/refund-response";
import { keyedRequest, type KeyedAnswer, type Rejected, type RetryOptions, type Unanswered, type Verdict } from "./keyed-request";

/**
 * A refund answer as a browser reads it, whichever release wrote it: a status added later
 * does not make a stored refund unreadable (answers are replayed as first stored).
 */
const tolerantRefundResponseSchema = refundResponseSchema.extend({ status: z.string() });

export type TolerantRefundResponse = z.infer<typeof tolerantRefundResponseSchema>;

/**
 * How a keyed refund request ended: the refund the server stored for this key (`replayed`
 * when it answered an earlier attempt), a refusal (with `amountRemaining` when the amount was
 * more than is left), or no answer at all after every retry.
 */
export type RefundOutcome =
  | { kind: "refund"; refund: TolerantRefundResponse; replayed: boolean }
  | (Rejected & { amountRemaining?: number })
  | Unanswered;

type Options = RetryOptions & { paymentId: string; key: string; request: CreateRefundInput };

/**
 * POSTs the refund of one payment with its Idempotency-Key and retries with the same key and
 * body until a final answer (keyed-request.ts): one logical refund is made at most once.
 */
export function submitRefund({ paymentId, request, ...options }: Options): Promise<RefundOutcome> {
  return keyedRequest({
    ...options,
    send: (api, header) => api.POST("/api/payments/{id}/refunds", { params: { path: { id: paymentId }, header }, body: request }),
    subject: "refund",
    classify: refundVerdict,
  });
}

function refundVerdict({ status, body, replayed, problem }: KeyedAnswer): Verdict<RefundOutcome> | undefined {
  if (status === 201) {
    const refund = tolerantRefundResponseSchema.safeParse(body);
    // Made, but the answer did not arrive whole: the same key gets it again, complete.
    return refund.success ? { done: { kind: "refund", refund: refund.data, replayed } } : { retry: "network" };
  }
  if (problem?.code === "refund_exceeds_remaining") {
    return { done: { kind: "rejected", status, code: problem.code, message: problem.detail, amountRemaining: problem.amountRemaining } };
  }
  return undefined;
}
