import { formatAmount } from "./currencies";
import { invalidRequest, invalidState, resourceMissing } from "./errors";
import { LIST_PARAMS, newestFirst, paginateList } from "./list-pagination";
import { newId } from "./new-id";
import type { Charge, ListObject, Refund, RefundReason } from "./objects";
import { inRange } from "./params";
import type { ApiContext, Route } from "./routes";

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
    status: "succeeded",
    transfer_reversal: null,
  };
  account.refunds.set(refund.id, refund);
  charge.amount_refunded += refundAmount;
  charge.refunded = charge.amount_refunded >= charge.amount_captured;
  context.emit("refund.created", refund);
  context.emit("charge.refunded", charge);
  return refund;
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
