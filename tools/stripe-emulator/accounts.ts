import { IdempotencyStore } from "./idempotency";
import type { Charge, PaymentIntent, Refund, StripeEvent } from "./objects";
import type { AttachedPaymentMethod } from "./test-payment-methods";

/**
 * Everything one secret key can see. Each distinct `sk_test_…` key is its own account, as two
 * Stripe accounts would be: objects and idempotency keys never leak between them.
 * Maps keep insertion order, which is creation order; lists read them newest first.
 */
export class Account {
  readonly paymentIntents = new Map<string, PaymentIntent>();
  readonly charges = new Map<string, Charge>();
  readonly refunds = new Map<string, Refund>();
  readonly paymentMethods = new Map<string, AttachedPaymentMethod>();
  readonly events = new Map<string, StripeEvent>();
  readonly idempotency: IdempotencyStore;

  constructor(now: () => number, idempotencyTtlMs: number) {
    this.idempotency = new IdempotencyStore(now, idempotencyTtlMs);
  }
}

export class Accounts {
  private readonly byApiKey = new Map<string, Account>();

  constructor(
    private readonly now: () => number,
    private readonly idempotencyTtlMs: number,
  ) {}

  forApiKey(apiKey: string): Account {
    let account = this.byApiKey.get(apiKey);
    if (!account) {
      account = new Account(this.now, this.idempotencyTtlMs);
      this.byApiKey.set(apiKey, account);
    }
    return account;
  }

  all(): Account[] {
    return [...this.byApiKey.values()];
  }

  findPaymentIntent(id: string): { account: Account; paymentIntent: PaymentIntent } | undefined {
    for (const account of this.byApiKey.values()) {
      const paymentIntent = account.paymentIntents.get(id);
      if (paymentIntent) return { account, paymentIntent };
    }
    return undefined;
  }

  findEvent(id: string): StripeEvent | undefined {
    for (const account of this.byApiKey.values()) {
      const event = account.events.get(id);
      if (event) return event;
    }
    return undefined;
  }

  clear(): void {
    this.byApiKey.clear();
  }
}
