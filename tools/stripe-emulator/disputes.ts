import type { Account } from "./accounts";
import { invalidState, resourceMissing } from "./errors";
import { LIST_PARAMS, newestFirst, paginateList } from "./list-pagination";
import { newId } from "./new-id";
import type { Charge, Dispute, ListObject } from "./objects";
import { inRange } from "./params";
import type { ApiContext, Route } from "./routes";
import type { SettlementContext } from "./settlements";

// Disputes as test mode plays them (docs.stripe.com/testing#disputes): a `pm_card_createDispute`
// charge succeeds and is disputed shortly after; evidence with `uncategorized_text` set to
// `winning_evidence` or `losing_evidence` decides it. Funds are withdrawn when a dispute opens and
// reinstated when it is won (docs.stripe.com/disputes/how-disputes-work).

/** Evidence is due days after a dispute opens; the exact window depends on the card network. */
const EVIDENCE_WINDOW_SECONDS = 7 * 24 * 60 * 60;

const DECIDING_EVIDENCE: Readonly<Record<string, "won" | "lost">> = {
  winning_evidence: "won",
  losing_evidence: "lost",
};

/** After a test card's charge is captured: schedules the dispute Stripe opens on it, if any. */
export function scheduleDispute(account: Account, charge: Charge): void {
  const reason = account.paymentMethods.get(charge.payment_method)?.card.afterCharge?.dispute;
  if (reason) account.schedule({ kind: "open_dispute", id: charge.id, paymentIntent: charge.payment_intent, reason });
}

export function openDispute(context: SettlementContext, charge: Charge, reason: Dispute["reason"]): Dispute {
  const created = context.nowSeconds();
  const dispute: Dispute = {
    id: newId("du"),
    object: "dispute",
    amount: charge.amount_captured,
    balance_transactions: [],
    charge: charge.id,
    created,
    currency: charge.currency,
    evidence: { uncategorized_text: null },
    evidence_details: { due_by: created + EVIDENCE_WINDOW_SECONDS, has_evidence: false, past_due: false, submission_count: 0 },
    // A chargeback, unlike an inquiry, cannot be refunded any more: refunding it is `charge_disputed`.
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: charge.payment_intent,
    reason,
    status: "needs_response",
  };
  context.account.disputes.set(dispute.id, dispute);
  charge.disputed = true;
  context.emit("charge.dispute.created", dispute);
  context.emit("charge.dispute.funds_withdrawn", dispute);
  return dispute;
}

/** The card network's decision: `charge.dispute.closed`, and the funds back when won. */
export function decideDispute(context: SettlementContext, dispute: Dispute, status: "won" | "lost"): void {
  if (dispute.status === "won" || dispute.status === "lost") return;
  dispute.status = status;
  context.emit("charge.dispute.closed", dispute);
  if (status === "won") context.emit("charge.dispute.funds_reinstated", dispute);
}

/** Whether an open or lost chargeback forbids refunding the charge (Stripe's `charge_disputed`). */
export function blocksRefund(account: Account, charge: Charge): boolean {
  if (!charge.disputed) return false;
  return [...account.disputes.values()].some((dispute) => dispute.charge === charge.id && !dispute.is_charge_refundable);
}

function retrieveDispute(context: ApiContext): Dispute {
  context.params.allowOnly([]);
  return findDispute(context);
}

function listDisputes(context: ApiContext): ListObject<Dispute> {
  const { params } = context;
  params.allowOnly([...LIST_PARAMS, "charge", "payment_intent", "created"]);
  const charge = params.string("charge");
  const paymentIntent = params.string("payment_intent");
  const created = params.range("created");
  const matching = newestFirst(context.account.disputes).filter(
    (dispute) =>
      (charge === undefined || dispute.charge === charge) &&
      (paymentIntent === undefined || dispute.payment_intent === paymentIntent) &&
      inRange(dispute.created, created),
  );
  return paginateList(matching, params, "/v1/disputes", "dispute");
}

/**
 * Stages or submits evidence (`submit` defaults to true, as on Stripe). Submitted, the dispute is
 * `under_review`; test mode then decides it from `uncategorized_text`, later.
 */
function updateDispute(context: ApiContext): Dispute {
  const { params } = context;
  params.allowOnly(["evidence", "submit"]);
  const evidence = params.object("evidence")?.allowOnly(["uncategorized_text"]);
  const text = evidence?.string("uncategorized_text");
  const submit = params.boolean("submit") ?? true;
  const dispute = findDispute(context);
  if (dispute.status !== "needs_response") {
    throw invalidState(`This dispute has a status of ${dispute.status}; evidence can only be submitted while it is needs_response.`);
  }
  if (text !== undefined) {
    dispute.evidence.uncategorized_text = text === "" ? null : text;
    dispute.evidence_details.has_evidence = dispute.evidence.uncategorized_text !== null;
  }
  if (submit) {
    dispute.status = "under_review";
    dispute.evidence_details.submission_count += 1;
  }
  context.emit("charge.dispute.updated", dispute);
  const decision = submit ? DECIDING_EVIDENCE[dispute.evidence.uncategorized_text ?? ""] : undefined;
  if (decision) {
    context.account.schedule({ kind: "decide_dispute", id: dispute.id, paymentIntent: dispute.payment_intent, status: decision });
  }
  return dispute;
}

/** "Closing the dispute … acknowledging it as lost" (docs.stripe.com/api/disputes/close). */
function closeDispute(context: ApiContext): Dispute {
  context.params.allowOnly([]);
  const dispute = findDispute(context);
  if (dispute.status !== "needs_response") {
    throw invalidState(`This dispute has a status of ${dispute.status}; only a dispute that is needs_response can be closed.`);
  }
  decideDispute(context, dispute, "lost");
  return dispute;
}

function findDispute(context: ApiContext): Dispute {
  const dispute = context.account.disputes.get(context.resourceId);
  if (!dispute) throw resourceMissing("dispute", context.resourceId, "dispute");
  return dispute;
}

const SINGLE = { type: "dispute", list: false } as const;

export const disputeRoutes: readonly Route[] = [
  { method: "GET", pattern: "/v1/disputes", returns: { type: "dispute", list: true }, handle: listDisputes },
  { method: "GET", pattern: "/v1/disputes/:id", returns: SINGLE, handle: retrieveDispute },
  { method: "POST", pattern: "/v1/disputes/:id", returns: SINGLE, handle: updateDispute },
  { method: "POST", pattern: "/v1/disputes/:id/close", returns: SINGLE, handle: closeDispute },
];
