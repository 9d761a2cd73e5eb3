import { setMaxListeners } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Accounts } from "./accounts";
import { ApiVersions } from "./api-version";
import {
  type DisputeFilter,
  type EventFilter,
  EmulatorControl,
  type PaymentIntentFilter,
  type RefundFilter,
  type WebhookEndpointOptions,
  settlementContext,
} from "./control";
import type { EmulatorState } from "./emulator-state";
import { EventRecorder } from "./event-recorder";
import { FaultInjector, type Faults } from "./faults";
import { DEFAULT_IDEMPOTENCY_TTL_MS } from "./idempotency";
import type { Dispute, PaymentIntent, Refund, StripeEvent } from "./objects";
import { StatePersistence } from "./persistence";
import { createEmulatorServer } from "./server";
import { DEFAULT_ASYNC_SETTLE_MS, Settler } from "./settlements";
import { type Stats, StatsRecorder } from "./stats";
import { DEFAULT_WEBHOOK_RETRY, WebhookDispatcher, type WebhookRetryPolicy } from "./webhooks";

export type { PaymentIntentFilter, RefundFilter, EventFilter, DisputeFilter, WebhookEndpointOptions } from "./control";
export type { FaultKind, Faults } from "./faults";
export type {
  Charge,
  ConfirmationToken,
  Dispute,
  PaymentIntent,
  PaymentIntentStatus,
  PaymentMethod,
  Refund,
  StripeEvent,
  EventType,
} from "./objects";
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
  /** The API version the webhook endpoint is pinned to; events carry the account's default without it. */
  webhookApiVersion?: string;
  /**
   * The account's default API version: what requests without a `Stripe-Version` header are
   * answered in and what events are generated in. The emulator's (and stripe-node's) version by
   * default; set another to see events whose `api_version` differs from the one the SDK pins.
   */
  accountApiVersion?: string;
  /** Faults active from the start (request failures, rate limit, search lag, webhook delivery); `resetFaults()` returns to these. */
  faults?: Partial<Faults>;
  /** One line per request on stderr (never keys, bodies or card data). */
  log?: boolean;
  /** How long idempotency keys are kept; Stripe's 24 hours by default. */
  idempotencyTtlMs?: number;
  /** Clock in milliseconds, for `created` timestamps and key expiry; Date.now by default. */
  now?: () => number;
  /**
   * A folder to keep state in across restarts (`state.json`: objects, events, idempotency keys,
   * pending settlements), loaded at start and saved shortly after each change and on close.
   * Without it the emulator forgets everything when it stops.
   */
  dataDir?: string;
  /**
   * How long after the fact Stripe's "later" happens: a test card's dispute opening, a refund
   * failing or settling, a dispute decided by evidence. 50 ms by default; `null` leaves it all to
   * `settle()`, which tests use to be deterministic.
   */
  asyncSettleMs?: number | null;
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
  /** Disputes of every account, newest first; copies. */
  disputes(filter?: DisputeFilter): Dispute[];
  /**
   * Runs now what would happen "later" (disputes opening, refunds failing or settling, evidence
   * deciding a dispute): everything pending, or what concerns one object or PaymentIntent.
   * Returns the ids of the objects settled.
   */
  settle(id?: string): string[];
  /** Closes an open dispute as the card network decided: won (funds reinstated) or lost. */
  closeDispute(id: string, status: "won" | "lost"): Dispute;
  /**
   * Completes (or fails) 3D Secure for a PaymentIntent in `requires_action`, as the customer's
   * Complete / Fail on the challenge page (`/3d_secure_2/hosted`) does.
   */
  authenticatePaymentIntent(id: string, result: "succeed" | "fail"): PaymentIntent;
  /** Delivers an event again, with the same id, to the current webhook endpoint. */
  resendEvent(id: string): StripeEvent;
  /** Where events are posted from now on, optionally with the endpoint's pinned API version; `null` stops deliveries. */
  setWebhook(url: string | null, secret?: string, endpoint?: WebhookEndpointOptions): void;
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
  const faults = new FaultInjector({
    ...options.faults,
    ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
  });
  const apiVersions = new ApiVersions(options.accountApiVersion);
  const webhooks = new WebhookDispatcher(null, { ...DEFAULT_WEBHOOK_RETRY, ...options.webhookRetry }, log, faults);
  // Its callbacks run once `state` below exists: settlements are only ever scheduled by requests.
  const settler = new Settler(
    options.asyncSettleMs === undefined ? DEFAULT_ASYNC_SETTLE_MS : options.asyncSettleMs,
    (account) => settlementContext(state, account),
    () => state.changed(),
  );
  let persistence: StatePersistence | undefined;
  const state: EmulatorState = {
    accounts: new Accounts(now, options.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS, (account, settlement) =>
      settler.arm(account, settlement),
    ),
    faults,
    stats: new StatsRecorder(),
    webhooks,
    events: new EventRecorder(now, webhooks, apiVersions.accountDefault),
    apiVersions,
    settler,
    changed: () => persistence?.changed(),
    now,
    log,
    shutdown: shutdown.signal,
    baseUrl: "",
  };
  if (options.dataDir !== undefined) {
    persistence = new StatePersistence(options.dataDir, state.accounts);
    persistence.load();
  }
  const control = new EmulatorControl(state);
  if (options.webhookUrl !== undefined) {
    control.setWebhook(options.webhookUrl, options.webhookSecret, { apiVersion: options.webhookApiVersion });
  }

  const server = createEmulatorServer(state, control);
  // Any request but a read may change state; it is saved once the request is answered (or dropped).
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== "GET") response.once("close", () => state.changed());
  });
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
      settler.cancelAll();
      webhooks.cancelAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await webhooks.flush();
      await persistence?.flush();
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
    disputes: (filter) => control.disputes(filter),
    settle: (id) => control.settle(id),
    closeDispute: (id, status) => control.closeDispute(id, status),
    authenticatePaymentIntent: (id, result) => control.authenticatePaymentIntent(id, result),
    resendEvent: (id) => control.resendEvent(id),
    setWebhook: (webhookUrl, secret, endpoint) => control.setWebhook(webhookUrl, secret, endpoint),
    flushWebhooks: () => control.flushWebhooks(),
    reset: () => control.reset(),
  };
}

function listeningAddress(address: AddressInfo | string | null): AddressInfo {
  if (address === null || typeof address === "string") throw new Error("The emulator is not listening on a TCP port");
  return address;
}
