import type { Account } from "./accounts";
import { newId } from "./new-id";
import type { EventType, JsonObject, PaymentIntent, StripeEvent } from "./objects";
import { SearchIndex } from "./search-index";
import type { WebhookDispatcher } from "./webhooks";

/** Which API request caused an event; admin actions (3DS completion) have none. */
export interface EventOrigin {
  requestId: string | null;
  idempotencyKey: string | null;
}

/**
 * Creates events with Stripe's shape, keeps them for /v1/events, hands them to the webhook
 * dispatcher and records PaymentIntent versions for the (lagging) search index.
 */
export class EventRecorder {
  readonly searchIndex = new SearchIndex();

  constructor(
    private readonly now: () => number,
    private readonly webhooks: WebhookDispatcher,
    /**
     * Events are generated in the account's default API version, not in the version of the
     * request that caused them; an endpoint with its own `api_version` gets them "generated with
     * this Stripe Version instead of your account's default Stripe Version"
     * (docs.stripe.com/api/webhook_endpoints/create, docs.stripe.com/webhooks). That pinned
     * version is applied on delivery (webhooks.ts).
     */
    private readonly accountApiVersion: string,
  ) {}

  record(account: Account, type: EventType, object: JsonObject, origin: EventOrigin): StripeEvent {
    const now = this.now();
    // A snapshot: the object keeps changing after the event, the event must not.
    const snapshot = structuredClone(object);
    const event: StripeEvent = {
      id: newId("evt"),
      object: "event",
      api_version: this.accountApiVersion,
      created: Math.floor(now / 1000),
      data: { object: snapshot },
      livemode: false,
      pending_webhooks: this.webhooks.hasTarget() ? 1 : 0,
      request: { id: origin.requestId, idempotency_key: origin.idempotencyKey },
      type,
    };
    account.events.set(event.id, event);
    // Every change to a PaymentIntent emits a payment_intent.* event carrying the whole object.
    if (type.startsWith("payment_intent.")) this.searchIndex.record(account, snapshot as PaymentIntent, now);
    this.deliver(event);
    return event;
  }

  /** Delivers an existing event again (same id and payload), as the Dashboard's "Resend" does. */
  resend(event: StripeEvent): boolean {
    return this.deliver(event);
  }

  private deliver(event: StripeEvent): boolean {
    return this.webhooks.send(event, () => {
      event.pending_webhooks = Math.max(0, event.pending_webhooks - 1);
    });
  }
}
