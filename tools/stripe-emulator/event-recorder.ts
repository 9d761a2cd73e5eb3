import type { Account } from "./accounts";
import { newId } from "./new-id";
import type { EventType, JsonObject, StripeEvent } from "./objects";
import type { WebhookDispatcher } from "./webhooks";

/** Which API request caused an event; admin actions (3DS completion) have none. */
export interface EventOrigin {
  requestId: string | null;
  idempotencyKey: string | null;
  apiVersion: string;
}

/** Creates events with Stripe's shape, keeps them for /v1/events and hands them to the webhook dispatcher. */
export class EventRecorder {
  constructor(
    private readonly now: () => number,
    private readonly webhooks: WebhookDispatcher,
  ) {}

  record(account: Account, type: EventType, object: JsonObject, origin: EventOrigin): StripeEvent {
    const event: StripeEvent = {
      id: newId("evt"),
      object: "event",
      api_version: origin.apiVersion,
      created: Math.floor(this.now() / 1000),
      // A snapshot: the object keeps changing after the event, the event must not.
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: this.webhooks.hasTarget() ? 1 : 0,
      request: { id: origin.requestId, idempotency_key: origin.idempotencyKey },
      type,
    };
    account.events.set(event.id, event);
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
