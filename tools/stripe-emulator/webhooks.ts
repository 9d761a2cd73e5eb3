import { createHmac } from "node:crypto";
import { setMaxListeners } from "node:events";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { StripeEvent } from "./objects";
import { pause } from "./pause";

export interface WebhookTarget {
  url: string;
  secret: string;
}

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
}

/** The `Stripe-Signature` header: HMAC-SHA256 of "<timestamp>.<payload>" keyed with the whole secret. */
export function signatureHeader(payload: string, secret: string, timestampSeconds: number): string {
  const signature = createHmac("sha256", secret).update(`${timestampSeconds}.${payload}`).digest("hex");
  return `t=${timestampSeconds},v1=${signature}`;
}

/**
 * Posts events to the configured endpoint in the background, signed the way Stripe signs them,
 * retrying with exponential backoff. Delivery never holds up the API response that caused it.
 */
export class WebhookDispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  /**
   * Each event's first attempt waits for the previous event's first attempt, so a healthy
   * endpoint receives events in the order they happened. Retries then run on their own schedule,
   * which is how events come out of order on Stripe too.
   */
  private previousFirstAttempt: Promise<void> = Promise.resolve();
  private cancellation = unlimitedController();
  private counters: DeliveryCounters = { attempted: 0, succeeded: 0, failed: 0, abandoned: 0 };

  constructor(
    private target: WebhookTarget | null,
    private readonly policy: WebhookRetryPolicy,
    private readonly log: (line: string) => void,
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
    const payload = JSON.stringify(event, null, 2);
    const turn = { after: this.previousFirstAttempt, done: () => {} };
    this.previousFirstAttempt = new Promise((resolve) => (turn.done = resolve));
    const delivery = this.deliver(event.id, payload, target, turn).then((delivered) => {
      if (delivered) onDelivered();
    });
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
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
    this.previousFirstAttempt = Promise.resolve();
  }

  resetCounters(): void {
    this.counters = { attempted: 0, succeeded: 0, failed: 0, abandoned: 0 };
  }

  private async deliver(eventId: string, payload: string, target: WebhookTarget, turn: DeliveryTurn): Promise<boolean> {
    const signal = this.cancellation.signal;
    try {
      await turn.after;
      for (let attempt = 1; attempt <= this.policy.maxAttempts; attempt += 1) {
        if (signal.aborted) return false;
        const status = await this.attempt(payload, target, signal);
        turn.done();
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
      turn.done();
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

interface DeliveryTurn {
  /** Settles when the previous event's first attempt has finished. */
  after: Promise<void>;
  /** Lets the next event's first attempt go. */
  done: () => void;
}

/** Every pending delivery listens to the same cancellation signal. */
function unlimitedController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
