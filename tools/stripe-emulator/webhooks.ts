import { createHmac } from "node:crypto";
import { setMaxListeners } from "node:events";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { StripeEvent } from "./objects";
import { pause } from "./pause";

export interface WebhookTarget {
  url: string;
  secret: string;
  /**
   * The API version the endpoint is pinned to. Events are rendered in it when set, and in the
   * account's default version otherwise (docs.stripe.com/webhooks/versioning).
   */
  apiVersion?: string;
}

/**
 * How deliveries misbehave, read at each decision so they can change at run time (the emulator's
 * faults). Stripe delivers concurrently, out of order and occasionally more than once
 * (docs.stripe.com/webhooks).
 */
export interface DeliveryFaults {
  /** First attempts that may be in flight at once. */
  webhookConcurrency(): number;
  /** Which of the `waiting` first attempts starts next; 0 is the oldest. */
  nextWebhook(waiting: number): number;
  /** Whether an event is delivered a second time. */
  duplicateWebhook(): boolean;
}

/** One first attempt at a time, in the order the events happened, never twice. */
export const IN_ORDER_DELIVERY: DeliveryFaults = {
  webhookConcurrency: () => 1,
  nextWebhook: () => 0,
  duplicateWebhook: () => false,
};

export interface WebhookRetryPolicy {
  /** Attempts per event before giving up (Stripe keeps trying for days; an emulator must stop). */
  maxAttempts: number;
  /** Delay before the second attempt; it doubles for each further attempt. */
  baseDelayMs: number;
  /** How long one attempt may take before it counts as failed. */
  timeoutMs: number;
}

export const DEFAULT_WEBHOOK_RETRY: WebhookRetryPolicy = { maxAttempts: 5, baseDelayMs: 1_000, timeoutMs: 10_000 };

export interface DeliveryCounters {
  /** HTTP attempts made. */
  attempted: number;
  /** Attempts answered 2xx. */
  succeeded: number;
  /** Attempts answered non-2xx, timed out or refused. */
  failed: number;
  /** Events given up on after the last attempt failed. */
  abandoned: number;
  /** Events queued a second time by `webhookDuplicateRate` / `webhookDuplicateNext`. */
  duplicated: number;
}

const NO_DELIVERIES: DeliveryCounters = { attempted: 0, succeeded: 0, failed: 0, abandoned: 0, duplicated: 0 };

/** The `Stripe-Signature` header: HMAC-SHA256 of "<timestamp>.<payload>" keyed with the whole secret. */
export function signatureHeader(payload: string, secret: string, timestampSeconds: number): string {
  const signature = createHmac("sha256", secret).update(`${timestampSeconds}.${payload}`).digest("hex");
  return `t=${timestampSeconds},v1=${signature}`;
}

/**
 * Posts events to the configured endpoint in the background, signed the way Stripe signs them,
 * retrying with exponential backoff. Delivery never holds up the API response that caused it.
 *
 * First attempts wait for one of `webhookConcurrency` slots (1 by default) and get them in the
 * order the events happened unless `webhookShuffle` is on, so by default a healthy endpoint
 * receives events in order. Retries then run on their own schedule, which is how events come out
 * of order on Stripe too.
 */
export class WebhookDispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  /** First attempts waiting for a slot, oldest first; each is told whether it may go. */
  private waiting: Array<(go: boolean) => void> = [];
  private firstAttemptsInFlight = 0;
  private pumpScheduled = false;
  private cancellation = unlimitedController();
  private counters: DeliveryCounters = { ...NO_DELIVERIES };

  constructor(
    private target: WebhookTarget | null,
    private readonly policy: WebhookRetryPolicy,
    private readonly log: (line: string) => void,
    private readonly faults: DeliveryFaults = IN_ORDER_DELIVERY,
  ) {}

  setTarget(target: WebhookTarget | null): void {
    this.target = target;
  }

  hasTarget(): boolean {
    return this.target !== null;
  }

  deliveries(): DeliveryCounters {
    return { ...this.counters };
  }

  /** Queues one delivery of the event as it is now; `onDelivered` runs after a 2xx. Returns false without a target. */
  send(event: StripeEvent, onDelivered: () => void = () => {}): boolean {
    const target = this.target;
    if (!target) return false;
    // Stored events keep the account's version; an endpoint pinned to another one gets the
    // event rendered in its own (the emulator renders one shape, so only the label differs).
    const rendered = target.apiVersion === undefined ? event : { ...event, api_version: target.apiVersion };
    const payload = JSON.stringify(rendered, null, 2);
    this.track(this.deliver(event.id, payload, target), onDelivered);
    if (this.faults.duplicateWebhook()) {
      // The same event (same id and payload) once more, as Stripe occasionally does; it does not
      // count towards `pending_webhooks` a second time.
      this.counters.duplicated += 1;
      this.track(this.deliver(event.id, payload, target), () => {});
    }
    return true;
  }

  /** Resolves once every queued delivery has succeeded or been given up. */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops pending retries and in-flight attempts (on reset and shutdown). */
  cancelAll(): void {
    this.cancellation.abort();
    this.cancellation = unlimitedController();
    for (const release of this.waiting.splice(0)) release(false);
  }

  resetCounters(): void {
    this.counters = { ...NO_DELIVERIES };
  }

  private track(delivery: Promise<boolean>, onDelivered: () => void): void {
    const settled = delivery.then((delivered) => {
      if (delivered) onDelivered();
    });
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
  }

  private async deliver(eventId: string, payload: string, target: WebhookTarget): Promise<boolean> {
    const signal = this.cancellation.signal;
    if (!(await this.firstAttemptSlot())) return false;
    let holdsSlot = true;
    const releaseSlot = () => {
      if (!holdsSlot) return;
      holdsSlot = false;
      this.firstAttemptsInFlight -= 1;
      this.pump();
    };
    try {
      for (let attempt = 1; attempt <= this.policy.maxAttempts; attempt += 1) {
        if (signal.aborted) return false;
        const status = await this.attempt(payload, target, signal);
        releaseSlot();
        if (signal.aborted) return false;
        if (status !== null && status >= 200 && status < 300) {
          this.counters.succeeded += 1;
          return true;
        }
        this.counters.failed += 1;
        this.log(`webhook ${eventId} attempt ${attempt} failed (${status ?? "no response"})`);
        const isLast = attempt === this.policy.maxAttempts;
        if (!isLast && !(await pause(this.policy.baseDelayMs * 2 ** (attempt - 1), signal))) return false;
      }
      this.counters.abandoned += 1;
      this.log(`webhook ${eventId} abandoned after ${this.policy.maxAttempts} attempts`);
      return false;
    } finally {
      releaseSlot();
    }
  }

  /** Resolves true when this first attempt may start, false when deliveries were cancelled meanwhile. */
  private firstAttemptSlot(): Promise<boolean> {
    const granted = new Promise<boolean>((resolve) => this.waiting.push(resolve));
    // Decided a moment later, so that every event one request produced is waiting and a
    // shuffle can reorder them.
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      queueMicrotask(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
    return granted;
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.firstAttemptsInFlight < this.faults.webhookConcurrency()) {
      const index = Math.min(this.faults.nextWebhook(this.waiting.length), this.waiting.length - 1);
      const [release] = this.waiting.splice(index, 1);
      this.firstAttemptsInFlight += 1;
      release?.(true);
    }
  }

  /** Resolves with the status code, or null when the endpoint could not be reached in time. */
  private attempt(payload: string, target: WebhookTarget, signal: AbortSignal): Promise<number | null> {
    this.counters.attempted += 1;
    // Signed with the wall clock, not the emulator's (injectable) clock: receivers check the
    // timestamp against their own clock to reject replayed deliveries.
    const headers = {
      "Content-Type": "application/json; charset=utf-8",
      "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
      "Stripe-Signature": signatureHeader(payload, target.secret, Math.floor(Date.now() / 1000)),
    };
    const url = new URL(target.url);
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const outgoing = request(url, { method: "POST", headers, signal, timeout: this.policy.timeoutMs, agent: false });
      outgoing.on("response", (response) => {
        response.resume();
        resolve(response.statusCode ?? null);
      });
      outgoing.on("timeout", () => outgoing.destroy());
      outgoing.on("error", () => resolve(null));
      outgoing.end(payload);
    });
  }
}

/** Every pending delivery listens to the same cancellation signal. */
function unlimitedController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
