import type { Account, Accounts } from "./accounts";
import type { FaultKind } from "./faults";
import type { DeliveryCounters } from "./webhooks";

export interface Stats {
  /** /v1 requests received (admin endpoints are not counted). */
  requests: number;
  /** Keyed by "METHOD /v1/route/:id"; requests matching no route count as "unmatched". */
  requestsByRoute: Record<string, number>;
  idempotentReplays: number;
  /** 409 answers: a duplicate arrived while the first request with its key was still running. */
  idempotencyConflicts: number;
  /** 400 idempotency_error answers: a key reused with other parameters or on another endpoint. */
  idempotencyMismatches: number;
  paymentIntents: number;
  charges: number;
  refunds: number;
  events: number;
  webhookDeliveries: DeliveryCounters;
  faultsInjected: number;
  faultsInjectedByKind: Record<FaultKind, number>;
}

export class StatsRecorder {
  private requests = 0;
  private byRoute = new Map<string, number>();
  private replays = 0;
  private conflicts = 0;
  private mismatches = 0;
  private faults = noFaults();

  countRequest(route: string): void {
    this.requests += 1;
    this.byRoute.set(route, (this.byRoute.get(route) ?? 0) + 1);
  }

  countReplay(): void {
    this.replays += 1;
  }

  countConflict(): void {
    this.conflicts += 1;
  }

  countMismatch(): void {
    this.mismatches += 1;
  }

  countFault(kind: FaultKind): void {
    this.faults[kind] += 1;
  }

  snapshot(accounts: Accounts, webhookDeliveries: DeliveryCounters): Stats {
    const all = accounts.all();
    const total = (size: (account: Account) => number) => all.reduce((sum, account) => sum + size(account), 0);
    return {
      requests: this.requests,
      requestsByRoute: Object.fromEntries(this.byRoute),
      idempotentReplays: this.replays,
      idempotencyConflicts: this.conflicts,
      idempotencyMismatches: this.mismatches,
      paymentIntents: total((account) => account.paymentIntents.size),
      charges: total((account) => account.charges.size),
      refunds: total((account) => account.refunds.size),
      events: total((account) => account.events.size),
      webhookDeliveries: { ...webhookDeliveries },
      faultsInjected: Object.values(this.faults).reduce((sum, count) => sum + count, 0),
      faultsInjectedByKind: { ...this.faults },
    };
  }

  reset(): void {
    this.requests = 0;
    this.byRoute = new Map();
    this.replays = 0;
    this.conflicts = 0;
    this.mismatches = 0;
    this.faults = noFaults();
  }
}

function noFaults(): Record<FaultKind, number> {
  return {
    error: 0,
    stored_error: 0,
    stored_error_after_process: 0,
    drop: 0,
    hang: 0,
    rate_limit: 0,
  };
}
