import { setMaxListeners } from "node:events";
import type { AddressInfo } from "node:net";
import { Accounts } from "./accounts";
import { type EventFilter, EmulatorControl, type PaymentIntentFilter, type RefundFilter } from "./control";
import type { EmulatorState } from "./emulator-state";
import { EventRecorder } from "./event-recorder";
import { FaultInjector, type Faults } from "./faults";
import { DEFAULT_IDEMPOTENCY_TTL_MS } from "./idempotency";
import type { PaymentIntent, Refund, StripeEvent } from "./objects";
import { createEmulatorServer } from "./server";
import { type Stats, StatsRecorder } from "./stats";
import { DEFAULT_WEBHOOK_RETRY, WebhookDispatcher, type WebhookRetryPolicy } from "./webhooks";

export type { PaymentIntentFilter, RefundFilter, EventFilter } from "./control";
export type { FaultKind, Faults } from "./faults";
export type { Charge, PaymentIntent, PaymentIntentStatus, Refund, StripeEvent, EventType } from "./objects";
export type { Stats } from "./stats";
export type { DeliveryCounters, WebhookRetryPolicy } from "./webhooks";
export { signatureHeader } from "./webhooks";

export interface StripeEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1; the admin endpoints answer loopback clients only. */
  host?: string;
  /** Shorthand for `faults.latencyMs`. */
  latencyMs?: number;
  webhookUrl?: string;
  /** Required with `webhookUrl`: the `whsec_…` secret the receiver verifies signatures with. */
  webhookSecret?: string;
  webhookRetry?: Partial<WebhookRetryPolicy>;
  /** Faults active from the start; `resetFaults()` returns to these. */
  faults?: Partial<Faults>;
  /** One line per request on stderr (never keys, bodies or card data). */
  log?: boolean;
  /** How long idempotency keys are kept; Stripe's 24 hours by default. */
  idempotencyTtlMs?: number;
  /** Clock in milliseconds, for `created` timestamps and key expiry; Date.now by default. */
  now?: () => number;
}

export interface StripeEmulator {
  /** e.g. "http://127.0.0.1:12111" */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Stops listening, drops open connections and pending webhook deliveries. */
  close(): Promise<void>;
  faults(): Faults;
  /** Merges into the current faults and returns the result. */
  setFaults(changes: Partial<Faults>): Faults;
  /** Back to the faults given at start. */
  resetFaults(): Faults;
  stats(): Stats;
  /** PaymentIntents of every account, newest first; copies. */
  paymentIntents(filter?: PaymentIntentFilter): PaymentIntent[];
  /** Refunds of every account, newest first; copies. */
  refunds(filter?: RefundFilter): Refund[];
  /** Events of every account, newest first; copies. */
  events(filter?: EventFilter): StripeEvent[];
  /** Completes (or fails) 3D Secure for a PaymentIntent in `requires_action`. */
  authenticatePaymentIntent(id: string, result: "succeed" | "fail"): PaymentIntent;
  /** Delivers an event again, with the same id, to the current webhook endpoint. */
  resendEvent(id: string): StripeEvent;
  /** Where events are posted from now on; `null` stops deliveries. */
  setWebhook(url: string | null, secret?: string): void;
  /** Resolves when every queued delivery has succeeded or been given up. */
  flushWebhooks(): Promise<void>;
  /** Forgets objects, keys, events, deliveries and counters; keeps faults and webhook settings. */
  reset(): void;
}

export async function startStripeEmulator(options: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const host = options.host ?? "127.0.0.1";
  const now = options.now ?? Date.now;
  const log = options.log ? (line: string) => process.stderr.write(`[stripe-emulator] ${line}\n`) : () => {};
  const shutdown = new AbortController();
  // Every request waiting out latency or a hang listens to this one signal.
  setMaxListeners(0, shutdown.signal);
  const webhooks = new WebhookDispatcher(null, { ...DEFAULT_WEBHOOK_RETRY, ...options.webhookRetry }, log);
  const state: EmulatorState = {
    accounts: new Accounts(now, options.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS),
    faults: new FaultInjector({ ...options.faults, ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }) }),
    stats: new StatsRecorder(),
    webhooks,
    events: new EventRecorder(now, webhooks),
    now,
    log,
    shutdown: shutdown.signal,
    baseUrl: "",
  };
  const control = new EmulatorControl(state);
  if (options.webhookUrl !== undefined) control.setWebhook(options.webhookUrl, options.webhookSecret);

  const server = createEmulatorServer(state, control);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = listeningAddress(server.address());
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  state.baseUrl = url;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      shutdown.abort();
      webhooks.cancelAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await webhooks.flush();
    })();
    return closing;
  };

  return {
    url,
    port,
    host,
    close,
    faults: () => control.faults(),
    setFaults: (changes) => control.setFaults(changes),
    resetFaults: () => control.resetFaults(),
    stats: () => control.stats(),
    paymentIntents: (filter) => control.paymentIntents(filter),
    refunds: (filter) => control.refunds(filter),
    events: (filter) => control.events(filter),
    authenticatePaymentIntent: (id, result) => control.authenticatePaymentIntent(id, result),
    resendEvent: (id) => control.resendEvent(id),
    setWebhook: (webhookUrl, secret) => control.setWebhook(webhookUrl, secret),
    flushWebhooks: () => control.flushWebhooks(),
    reset: () => control.reset(),
  };
}

function listeningAddress(address: AddressInfo | string | null): AddressInfo {
  if (address === null || typeof address === "string") throw new Error("The emulator is not listening on a TCP port");
  return address;
}
