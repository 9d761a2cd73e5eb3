import { createHash } from "node:crypto";
import type { StoredConfirmationToken } from "./confirmation-tokens";
import { IdempotencyStore } from "./idempotency";
import type { Charge, Dispute, PaymentIntent, Refund, StripeEvent } from "./objects";
import type { Settlement } from "./settlements";
import type { AttachedPaymentMethod } from "./test-payment-methods";

/** Called when an account has work to finish later (a dispute to open, a refund to settle). */
export type SettlementScheduler = (account: Account, settlement: Settlement) => void;

/**
 * Everything one secret key can see. Each distinct `sk_test_…` key is its own account, as two
 * Stripe accounts would be: objects and idempotency keys never leak between them. Its publishable
 * key `pk_test_…` (same suffix) reaches the same account, for what a browser may do.
 * Maps keep insertion order, which is creation order; lists read them newest first.
 */
export class Account {
  readonly paymentIntents = new Map<string, PaymentIntent>();
  readonly charges = new Map<string, Charge>();
  readonly refunds = new Map<string, Refund>();
  readonly disputes = new Map<string, Dispute>();
  readonly paymentMethods = new Map<string, AttachedPaymentMethod>();
  readonly confirmationTokens = new Map<string, StoredConfirmationToken>();
  readonly events = new Map<string, StripeEvent>();
  /** Asynchronous follow-ups still to happen, keyed by the id of the object they change. */
  readonly settlements = new Map<string, Settlement>();
  readonly idempotency: IdempotencyStore;

  constructor(
    now: () => number,
    idempotencyTtlMs: number,
    private readonly scheduler: SettlementScheduler,
  ) {
    this.idempotency = new IdempotencyStore(now, idempotencyTtlMs);
  }

  /** Records work that Stripe does "some time later"; the emulator's settler runs it. */
  schedule(settlement: Settlement): void {
    this.settlements.set(settlement.id, settlement);
    this.scheduler(this, settlement);
  }
}

export class Accounts {
  // Keyed by a hash of the API key, so that saved state never holds a key.
  private readonly byKeyHash = new Map<string, Account>();

  constructor(
    private readonly now: () => number,
    private readonly idempotencyTtlMs: number,
    private readonly scheduler: SettlementScheduler = () => {},
  ) {}

  forApiKey(apiKey: string): Account {
    return this.forKeyHash(hashApiKey(apiKey));
  }

  /** The account of a hashed key, created empty if new (restoring saved state uses this). */
  forKeyHash(keyHash: string): Account {
    let account = this.byKeyHash.get(keyHash);
    if (!account) {
      account = new Account(this.now, this.idempotencyTtlMs, this.scheduler);
      this.byKeyHash.set(keyHash, account);
    }
    return account;
  }

  all(): Account[] {
    return [...this.byKeyHash.values()];
  }

  /** Accounts with their hashed keys, for saving. */
  entries(): Array<[keyHash: string, account: Account]> {
    return [...this.byKeyHash.entries()];
  }

  findPaymentIntent(id: string): { account: Account; paymentIntent: PaymentIntent } | undefined {
    for (const account of this.byKeyHash.values()) {
      const paymentIntent = account.paymentIntents.get(id);
      if (paymentIntent) return { account, paymentIntent };
    }
    return undefined;
  }

  findDispute(id: string): { account: Account; dispute: Dispute } | undefined {
    for (const account of this.byKeyHash.values()) {
      const dispute = account.disputes.get(id);
      if (dispute) return { account, dispute };
    }
    return undefined;
  }

  findEvent(id: string): StripeEvent | undefined {
    for (const account of this.byKeyHash.values()) {
      const event = account.events.get(id);
      if (event) return event;
    }
    return undefined;
  }

  clear(): void {
    this.byKeyHash.clear();
  }
}

function hashApiKey(apiKey: string): string {
  return createHash("sha256").update(apiKey).digest("hex");
}
