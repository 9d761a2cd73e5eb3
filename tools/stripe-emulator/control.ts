import { isWellFormedApiVersion } from "./api-version";
import type { EmulatorState } from "./emulator-state";
import type { Faults } from "./faults";
import { newestFirst } from "./list-pagination";
import type { Account } from "./accounts";
import { decideDispute } from "./disputes";
import type { Dispute, Metadata, PaymentIntent, Refund, StripeEvent } from "./objects";
import { finishAuthentication } from "./payment-attempts";
import type { SettlementContext } from "./settlements";
import type { Stats } from "./stats";

export interface PaymentIntentFilter {
  metadata?: Metadata;
}

export interface RefundFilter {
  payment_intent?: string;
}

export interface EventFilter {
  type?: string;
}

/** A webhook endpoint's settings beyond its URL and secret (docs.stripe.com/api/webhook_endpoints). */
export interface WebhookEndpointOptions {
  /** Events sent to the endpoint are generated in this version instead of the account's default. */
  apiVersion?: string;
}

export interface DisputeFilter {
  payment_intent?: string;
}

/**
 * How admin actions (3D Secure, dispute decisions) and settlements change an account: like an API
 * request, but with no request behind their events (`request.id` null, as on Stripe's
 * asynchronous events).
 */
export function settlementContext(state: EmulatorState, account: Account): SettlementContext {
  return {
    account,
    nowSeconds: () => Math.floor(state.now() / 1000),
    emit: (type, object) => state.events.record(account, type, object, { requestId: null, idempotencyKey: null }),
  };
}

/** A failed admin operation; `status` is what the admin HTTP endpoint answers. */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "AdminError";
  }
}

/**
 * The emulator's test-and-operations surface, used both by the programmatic handle and by the
 * `/_emulator/*` HTTP endpoints. It sees across accounts and returns copies, never live objects.
 */
export class EmulatorControl {
  constructor(private readonly state: EmulatorState) {}

  stats(): Stats {
    return this.state.stats.snapshot(this.state.accounts, this.state.webhooks.deliveries());
  }

  faults(): Faults {
    return this.state.faults.current();
  }

  setFaults(changes: Partial<Faults>): Faults {
    return this.state.faults.set(changes);
  }

  resetFaults(): Faults {
    return this.state.faults.reset();
  }

  /** PaymentIntents of every account, newest first, optionally only those whose metadata contains `filter.metadata`. */
  paymentIntents(filter: PaymentIntentFilter = {}): PaymentIntent[] {
    const wanted = Object.entries(filter.metadata ?? {});
    return this.state.accounts
      .all()
      .flatMap((account) => newestFirst(account.paymentIntents))
      .filter((intent) => wanted.every(([key, value]) => intent.metadata[key] === value))
      .sort((a, b) => b.created - a.created)
      .map((intent) => structuredClone(intent));
  }

  /** Refunds of every account, newest first. */
  refunds(filter: RefundFilter = {}): Refund[] {
    return this.state.accounts
      .all()
      .flatMap((account) => newestFirst(account.refunds))
      .filter((refund) => filter.payment_intent === undefined || refund.payment_intent === filter.payment_intent)
      .sort((a, b) => b.created - a.created)
      .map((refund) => structuredClone(refund));
  }

  /** Events of every account, newest first. */
  events(filter: EventFilter = {}): StripeEvent[] {
    return this.state.accounts
      .all()
      .flatMap((account) => newestFirst(account.events))
      .filter((event) => filter.type === undefined || event.type === filter.type)
      .sort((a, b) => b.created - a.created)
      .map((event) => structuredClone(event));
  }

  /** Disputes of every account, newest first. */
  disputes(filter: DisputeFilter = {}): Dispute[] {
    return this.state.accounts
      .all()
      .flatMap((account) => newestFirst(account.disputes))
      .filter((dispute) => filter.payment_intent === undefined || dispute.payment_intent === filter.payment_intent)
      .sort((a, b) => b.created - a.created)
      .map((dispute) => structuredClone(dispute));
  }

  /**
   * Runs now what Stripe does "some time later" (disputes opening, refunds failing or settling,
   * disputes decided by evidence): everything pending, or only what concerns one object or
   * PaymentIntent. Returns the ids of the objects settled.
   */
  settle(id?: string): string[] {
    return this.state.settler.settle(this.state.accounts.all(), id);
  }

  /** Plays the card network's decision on an open dispute: `charge.dispute.closed` as won or lost. */
  closeDispute(id: string, status: "won" | "lost"): Dispute {
    const found = this.state.accounts.findDispute(id);
    if (!found) throw new AdminError(404, `No such dispute: '${id}'`);
    const { account, dispute } = found;
    if (dispute.status === "won" || dispute.status === "lost") {
      throw new AdminError(400, `Dispute ${id} is already closed as ${dispute.status}.`);
    }
    // This decision replaces one that submitted evidence would have brought later.
    account.settlements.delete(dispute.id);
    decideDispute(settlementContext(this.state, account), dispute, status);
    this.state.changed();
    return structuredClone(dispute);
  }

  /** Plays the customer's part of 3D Secure for a PaymentIntent in `requires_action`. */
  authenticatePaymentIntent(id: string, result: "succeed" | "fail"): PaymentIntent {
    const found = this.state.accounts.findPaymentIntent(id);
    if (!found) throw new AdminError(404, `No such payment_intent: '${id}'`);
    const { account, paymentIntent } = found;
    const method = paymentIntent.payment_method === null ? undefined : account.paymentMethods.get(paymentIntent.payment_method);
    if (paymentIntent.status !== "requires_action" || !method) {
      throw new AdminError(400, `PaymentIntent ${id} has status ${paymentIntent.status}; only requires_action can be authenticated.`);
    }
    finishAuthentication({ ...settlementContext(this.state, account), baseUrl: this.state.baseUrl }, paymentIntent, method, result);
    this.state.changed();
    return structuredClone(paymentIntent);
  }

  resendEvent(id: string): StripeEvent {
    const event = this.state.accounts.findEvent(id);
    if (!event) throw new AdminError(404, `No such event: '${id}'`);
    if (!this.state.events.resend(event)) throw new AdminError(400, "No webhook endpoint is configured.");
    return structuredClone(event);
  }

  setWebhook(url: string | null, secret?: string, endpoint: WebhookEndpointOptions = {}): void {
    if (url === null) {
      this.state.webhooks.setTarget(null);
      return;
    }
    if (!secret) throw new AdminError(400, "A webhook secret is required with a webhook URL.");
    try {
      new URL(url);
    } catch {
      throw new AdminError(400, `Invalid webhook URL: ${url}`);
    }
    const { apiVersion } = endpoint;
    if (apiVersion === undefined) {
      this.state.webhooks.setTarget({ url, secret });
      return;
    }
    // Stripe accepts any of its released versions here; the emulator checks the form only.
    if (!isWellFormedApiVersion(apiVersion)) throw new AdminError(400, `Invalid API version: ${apiVersion}`);
    this.state.webhooks.setTarget({ url, secret, apiVersion });
  }

  flushWebhooks(): Promise<void> {
    return this.state.webhooks.flush();
  }

  /** Forgets all objects, keys, events, queued deliveries and counters; keeps faults and webhook settings. */
  reset(): void {
    this.state.settler.cancelAll();
    this.state.webhooks.cancelAll();
    this.state.webhooks.resetCounters();
    this.state.accounts.clear();
    this.state.stats.reset();
    this.state.faults.forgetRequestHistory();
    this.state.changed();
  }
}
