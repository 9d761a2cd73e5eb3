import { formatAmount } from "./currencies";
import { blocksRefund } from "./disputes";
import { invalidRequest, invalidState, resourceMissing } from "./errors";
import { LIST_PARAMS, newestFirst, paginateList } from "./list-pagination";
import { newId } from "./new-id";
import type { Charge, ListObject, Refund, RefundReason } from "./objects";
import { inRange } from "./params";
import type { ApiContext, Route } from "./routes";
import type { SettlementContext } from "./settlements";

const REFUND_REASONS: readonly RefundReason[] = ["duplicate", "fraudulent", "requested_by_customer"];

function createRefund(context: ApiContext): Refund {
  const { params, account } = context;
  params.allowOnly(["payment_intent", "charge", "amount", "reason", "metadata"]);
  const amount = params.integer("amount");
  if (amount !== undefined && amount < 1) {
    throw invalidRequest(`Invalid positive integer: ${amount}`, { param: "amount", code: "parameter_invalid_integer" });
  }
  const reason = params.oneOf("reason", REFUND_REASONS) ?? null;
  const metadata = params.metadata() ?? {};
  const charge = findChargeToRefund(context);
  if (blocksRefund(account, charge)) {
    throw invalidState(`Charge ${charge.id} has been charged back.`, { code: "charge_disputed" });
  }

  const remaining = charge.amount_captured - charge.amount_refunded;
  if (remaining <= 0) {
    throw invalidState(`Charge ${charge.id} has already been refunded.`, { code: "charge_already_refunded" });
  }
  const refundAmount = amount ?? remaining;
  if (refundAmount > remaining) {
    throw invalidState(
      `Refund amount (${formatAmount(refundAmount, charge.currency)}) is greater than unrefunded amount on charge (${formatAmount(remaining, charge.currency)})`,
      { param: "amount", code: "amount_too_large" },
    );
  }

  // docs.stripe.com/testing#refunds: with these cards a refund starts `succeeded` and fails later,
  // or starts `pending` and succeeds later; with all others it succeeds at once for good.
  const settles = account.paymentMethods.get(charge.payment_method)?.card.afterCharge?.refunds;
  const refund: Refund = {
    id: newId("re"),
    object: "refund",
    amount: refundAmount,
    balance_transaction: null,
    charge: charge.id,
    created: context.nowSeconds(),
    currency: charge.currency,
    metadata,
    payment_intent: charge.payment_intent,
    reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: settles === "pending" ? "pending" : "succeeded",
    transfer_reversal: null,
  };
  account.refunds.set(refund.id, refund);
  // A pending refund counts as refunded already: it cannot be refunded twice.
  charge.amount_refunded += refundAmount;
  charge.refunded = charge.amount_refunded >= charge.amount_captured;
  context.emit("refund.created", refund);
  context.emit("charge.refunded", charge);
  if (settles) {
    account.schedule({ kind: settles === "fail" ? "fail_refund" : "finish_refund", id: refund.id, paymentIntent: refund.payment_intent });
  }
  return refund;
}

/**
 * A refund the card network refused after all (docs.stripe.com/refunds#failed-refunds): the money
 * goes back to the merchant, so the charge's `amount_refunded` goes back down. The reason is the
 * one test mode gives for `pm_card_refundFail`.
 */
export function failRefund(context: SettlementContext, refund: Refund): void {
  if (refund.status === "failed") return;
  refund.status = "failed";
  refund.failure_reason = "expired_or_canceled_card";
  const charge = context.account.charges.get(refund.charge);
  if (charge) {
    charge.amount_refunded = Math.max(0, charge.amount_refunded - refund.amount);
    charge.refunded = charge.amount_refunded >= charge.amount_captured;
  }
  emitRefundUpdated(context, refund);
  context.emit("refund.failed", refund);
}

/** A pending refund that went through. */
export function finishRefund(context: SettlementContext, refund: Refund): void {
  if (refund.status !== "pending") return;
  refund.status = "succeeded";
  emitRefundUpdated(context, refund);
}

/** Stripe sends both: `charge.refund.updated` for some payment methods, `refund.updated` for all. */
function emitRefundUpdated(context: SettlementContext, refund: Refund): void {
  context.emit("charge.refund.updated", refund);
  context.emit("refund.updated", refund);
}

/** The charge named by `charge`, or the successful charge of `payment_intent`. */
function findChargeToRefund(context: ApiContext): Charge {
  const { params, account } = context;
  const chargeId = params.string("charge");
  const paymentIntentId = params.string("payment_intent");
  if (!chargeId && !paymentIntentId) {
    throw invalidRequest("One of the following params should be provided for this request: payment_intent or charge.", {
      code: "parameter_missing",
    });
  }
  if (chargeId) {
    const charge = account.charges.get(chargeId);
    if (!charge) throw resourceMissing("charge", chargeId, "charge");
    if (paymentIntentId && charge.payment_intent !== paymentIntentId) {
      throw invalidRequest(`Charge ${chargeId} does not belong to PaymentIntent ${paymentIntentId}.`, {
        param: "payment_intent",
      });
    }
    if (charge.status !== "succeeded" || !charge.captured) {
      throw invalidState(`Charge ${chargeId} has not been captured and cannot be refunded.`, { param: "charge" });
    }
    return charge;
  }
  const intent = account.paymentIntents.get(paymentIntentId ?? "");
  if (!intent) throw resourceMissing("payment_intent", paymentIntentId ?? "", "payment_intent");
  const charge = intent.latest_charge === null ? undefined : account.charges.get(intent.latest_charge);
  if (intent.status !== "succeeded" || !charge) {
    throw invalidState(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, {
      param: "payment_intent",
      code: "payment_intent_unexpected_state",
    });
  }
  return charge;
}

function retrieveRefund(context: ApiContext): Refund {
  context.params.allowOnly([]);
  const refund = context.account.refunds.get(context.resourceId);
  if (!refund) throw resourceMissing("refund", context.resourceId, "id");
  return refund;
}

function listRefunds(context: ApiContext): ListObject<Refund> {
  const { params } = context;
  params.allowOnly([...LIST_PARAMS, "payment_intent", "charge", "created"]);
  const paymentIntent = params.string("payment_intent");
  const charge = params.string("charge");
  const created = params.range("created");
  const matching = newestFirst(context.account.refunds).filter(
    (refund) =>
      (paymentIntent === undefined || refund.payment_intent === paymentIntent) &&
      (charge === undefined || refund.charge === charge) &&
      inRange(refund.created, created),
  );
  return paginateList(matching, params, "/v1/refunds", "refund");
}

const SINGLE = { type: "refund", list: false } as const;

export const refundRoutes: readonly Route[] = [
  { method: "POST", pattern: "/v1/refunds", returns: SINGLE, handle: createRefund },
  { method: "GET", pattern: "/v1/refunds", returns: { type: "refund", list: true }, handle: listRefunds },
  { method: "GET", pattern: "/v1/refunds/:id", returns: SINGLE, handle: retrieveRefund },
];
