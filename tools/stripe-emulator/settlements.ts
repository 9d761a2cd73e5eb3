import type { Account } from "./accounts";
import { decideDispute, openDispute } from "./disputes";
import type { DisputeReason } from "./objects";
import { failRefund, finishRefund } from "./refunds";
import type { ApiContext } from "./routes";

/**
 * Work Stripe does "some time later" (docs.stripe.com/testing#disputes, #refunds), kept as data so
 * that it survives a restart. `id` names the object it changes, `paymentIntent` the payment.
 */
export type Settlement =
  | { kind: "open_dispute"; id: string; paymentIntent: string; reason: DisputeReason }
  | { kind: "decide_dispute"; id: string; paymentIntent: string; status: "won" | "lost" }
  | { kind: "fail_refund"; id: string; paymentIntent: string }
  | { kind: "finish_refund"; id: string; paymentIntent: string };

/** What running a settlement needs: its account, the clock and a way to record events. */
export type SettlementContext = Pick<ApiContext, "account" | "nowSeconds" | "emit">;

/** Default for `asyncSettleMs`: long enough to answer the request first, short enough for dev. */
export const DEFAULT_ASYNC_SETTLE_MS = 50;

/**
 * Runs settlements: by themselves `delayMs` after they were scheduled, or at once through
 * `settle()`, which is what tests use to be deterministic (with `delayMs` null, only `settle()`
 * runs them). Each runs once, whichever comes first.
 */
export class Settler {
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    private readonly delayMs: number | null,
    private readonly contextFor: (account: Account) => SettlementContext,
    private readonly onSettled: () => void,
  ) {}

  arm(account: Account, settlement: Settlement): void {
    if (this.delayMs === null) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.run(account, settlement.id);
    }, this.delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** Runs what is pending now: everything, or what concerns one object or PaymentIntent. Returns the ids settled. */
  settle(accounts: readonly Account[], id?: string): string[] {
    const settled: string[] = [];
    for (const account of accounts) {
      for (const settlement of [...account.settlements.values()]) {
        if (id !== undefined && settlement.id !== id && settlement.paymentIntent !== id) continue;
        if (this.run(account, settlement.id)) settled.push(settlement.id);
      }
    }
    return settled;
  }

  /** Forgets armed timers (on reset and close); the settlements themselves stay with their accounts. */
  cancelAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private run(account: Account, id: string): boolean {
    const settlement = account.settlements.get(id);
    if (!settlement) return false;
    account.settlements.delete(id);
    apply(this.contextFor(account), settlement);
    this.onSettled();
    return true;
  }
}

function apply(context: SettlementContext, settlement: Settlement): void {
  const { account } = context;
  switch (settlement.kind) {
    case "open_dispute": {
      const charge = account.charges.get(settlement.id);
      if (charge) openDispute(context, charge, settlement.reason);
      return;
    }
    case "decide_dispute": {
      const dispute = account.disputes.get(settlement.id);
      if (dispute) decideDispute(context, dispute, settlement.status);
      return;
    }
    case "fail_refund": {
      const refund = account.refunds.get(settlement.id);
      if (refund) failRefund(context, refund);
      return;
    }
    case "finish_refund": {
      const refund = account.refunds.get(settlement.id);
      if (refund) finishRefund(context, refund);
    }
  }
}
