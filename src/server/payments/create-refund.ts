import "server-only";
import { type Payment, Prisma, RefundStatus } from "@prisma/client";
import Stripe from "stripe";
import { env } from "@/env";
import { refundsPath } from "@/lib/routes";
import type { CreateRefundInput } from "@/lib/schemas/refund";
import { db } from "@/server/db";
import { ApiError } from "@/server/http/api-error";
import { withIdempotency, type FinalOutcome, type KeyedResponse } from "@/server/idempotency/with-idempotency";
import type { Logger } from "@/server/logger";
import { stripe } from "@/server/stripe";
import { isUuid } from "./is-uuid";
import { findRefundOfKey } from "./find-at-stripe";
import { providerError } from "./provider-error";
import { adoptOrRetire, isStoredFailure } from "./stored-failure";
import type { Annotate } from "@/server/http/with-route";
import { timedStripeCall } from "./timed-stripe-call";
import { refundView } from "./refund-view";
import { upsertRefund } from "./payment-writes";

type Options = {
  waitSeconds?: number;
  /** Adds fields to the request's log line: the idempotency outcome, the Stripe call. */
  annotate?: Annotate;
  log?: Logger;
};

type RefundablePayment = Pick<Payment, "id" | "status" | "amount" | "currency" | "amountRefunded" | "stripePaymentIntentId">;

/** The payment id in a refund key's path, or null for a key of another route. */
export function paymentIdOfRefundsPath(path: string): string | null {
  const [before = "", after = ""] = refundsPath(":id").split(":id");
  if (!path.startsWith(before) || !path.endsWith(after)) return null;
  const id = path.slice(before.length, path.length - after.length);
  return isUuid(id) ? id : null;
}

/** One of the user's payments, with what a refund needs of it. */
export function findRefundablePayment(userId: string, paymentId: string): Promise<RefundablePayment | null> {
  return db().payment.findFirst({
    where: { id: paymentId, userId },
    select: { id: true, status: true, amount: true, currency: true, amountRefunded: true, stripePaymentIntentId: true },
  });
}

/**
 * Refunds (part of) one of the user's payments exactly once per (user, Idempotency-Key),
 * through the same engine as payments, and at most RATE_LIMIT_REFUNDS_PER_MINUTE new ones a
 * minute per user. Refusals (429, 404, not refundable, too much) are thrown before Stripe is
 * called on a row this request created, so the key is forgotten, not stored.
 */
export async function createRefund(
  userId: string,
  paymentId: string,
  key: string,
  input: CreateRefundInput,
  options: Options = {},
): Promise<KeyedResponse> {
  if (!isUuid(paymentId)) throw new ApiError("not_found", "No such payment.");
  return withIdempotency(
    { userId, key, method: "POST", path: refundsPath(paymentId), body: input },
    async ({ keyId, recovered, stripeKey, retireStripeKey }) => {
      const payment = await findRefundablePayment(userId, paymentId);
      if (!payment) throw new ApiError("not_found", "No such payment.");
      if (payment.status !== "succeeded") {
        throw new ApiError("payment_not_refundable", `Only a succeeded payment can be refunded; this one is ${payment.status}.`);
      }
      // A re-drive skips this check: its first attempt may already have refunded (and a
      // webhook counted it), and Stripe replays that attempt's answer for our key anyway.
      if (!recovered) assertWithinRemaining(payment, input.amount);

      const refundId = keyId; // as for payments: known before Stripe, the same on a re-drive
      try {
        const params: Stripe.RefundCreateParams = {
          payment_intent: payment.stripePaymentIntentId,
          // Omitted stays omitted: Stripe refunds what is left. Computing it here would change
          // the parameters on a re-drive, which Stripe refuses for the same idempotency key.
          ...(input.amount !== undefined ? { amount: input.amount } : {}),
          ...(input.reason ? { reason: input.reason } : {}),
          metadata: { refund_id: refundId, payment_id: payment.id, user_id: userId, idempotency_key_id: keyId },
        };
        const refund = await timedStripeCall(
          "refunds.create",
          () => stripe().refunds.create(params, { idempotencyKey: stripeKey("refund") }),
          options.annotate,
        );
        return refundOutcome(refundId, userId, payment, refund);
      } catch (error) {
        if (!isStoredFailure(error)) throw refundError(error);
        const made = await adoptOrRetire(error, () => findRefundOfKey(keyId, payment.stripePaymentIntentId), retireStripeKey);
        return refundOutcome(refundId, userId, payment, made);
      }
    },
    {
      waitSeconds: options.waitSeconds,
      log: options.log,
      onOutcome: (idempotency) => options.annotate?.({ idempotency }),
      // Counted in the claim: only a new request; a replay or a re-drive was counted when it first came.
      rateLimit: { action: "refunds.create", limitPerMinute: env().RATE_LIMIT_REFUNDS_PER_MINUTE },
    },
  );
}

/**
 * Our own row says how much is left; checked so that an obvious over-refund never reaches
 * Stripe. It is not the guard against a race of two keys (both may read the same amount):
 * Stripe refuses the refund that would exceed the charge, and refundError maps that.
 */
function assertWithinRemaining(payment: RefundablePayment, amount: number | undefined): void {
  const remaining = payment.amount - payment.amountRefunded;
  if (remaining > 0 && (amount === undefined || amount <= remaining)) return;
  const detail =
    remaining > 0
      ? `At most ${remaining} (${payment.currency}, minor units) of this payment is left to refund.`
      : "This payment is already fully refunded.";
  throw new ApiError("refund_exceeds_remaining", detail, { extensions: { amountRemaining: Math.max(remaining, 0) } });
}

/**
 * The final answer for a Stripe refund and the row that goes with it, as the engine records
 * it; also used by the reconciler. The payment's refunded amount follows from the refund rows
 * (a trigger sums those that have not failed), so it is never written here.
 */
export function refundOutcome(refundId: string, userId: string, payment: RefundablePayment, refund: Stripe.Refund): FinalOutcome {
  const createdAt = new Date();
  const status = refundStatus(refund.status);
  const view = refundView({ id: refundId, paymentId: payment.id, amount: refund.amount, status, stripeRefundId: refund.id, createdAt });
  // The refund.created webhook may have written the row first: the one refund upsert decides.
  const write = (keyRow: Prisma.Sql) =>
    upsertRefund(
      {
        id: Prisma.sql`${refundId}::uuid`,
        paymentId: Prisma.sql`${payment.id}::uuid`,
        userId: Prisma.sql`${userId}::uuid`,
        amount: refund.amount,
        status,
        stripeRefundId: refund.id,
        idempotencyKeyId: Prisma.sql`${keyRow}.id`,
        createdAt: Prisma.sql`${createdAt}`,
      },
      Prisma.sql`FROM ${keyRow}`,
    );
  // Always offered, even when it equals the first: a write refused once is tried again.
  return { status: 201, body: view, write, stripeObjectId: refund.id, fallback: { body: view, write } };
}

/** Stripe's refusals of an over-refund become ours; anything else is mapped as for payments. */
function refundError(error: unknown): ApiError {
  if (error instanceof Stripe.errors.StripeInvalidRequestError) {
    if (error.code === "amount_too_large" || error.code === "charge_already_refunded") {
      // Lost a race with a refund under another key, or refunded outside this app.
      return new ApiError("refund_exceeds_remaining", "The refund is larger than what is left to refund on this payment.", {
        cause: error,
      });
    }
    if (error.code === "payment_intent_unexpected_state") {
      return new ApiError("payment_not_refundable", "The payment provider has no successful charge to refund.", { cause: error });
    }
  }
  return providerError(error);
}

/**
 * Stripe's refund status as our enum holds it. A status Stripe adds later is recorded as
 * pending (it is not final, and the refund's webhooks will move it on) rather than refused.
 */
function refundStatus(status: string | null): RefundStatus {
  return status !== null && status in RefundStatus ? (status as RefundStatus) : "pending";
}

