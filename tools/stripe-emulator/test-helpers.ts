import { randomUUID } from "node:crypto";
import { type IncomingHttpHeaders, type Server, createServer } from "node:http";
import Stripe from "stripe";
import { afterAll, beforeAll } from "vitest";
import { startStripeEmulator, type StripeEmulator, type StripeEmulatorOptions } from "./index";

export const API_KEY = "sk_test_emulator_suite";

/** The parameters the app sends: card only, no redirects, so a server-side confirm needs no return_url. */
export const NO_REDIRECTS = { enabled: true, allow_redirects: "never" } as const;

export interface ClientOptions {
  apiKey?: string;
  maxNetworkRetries?: number;
  timeout?: number;
}

/** The real SDK pointed at the emulator. Retries are off unless a test is about them. */
export function stripeFor(emulator: StripeEmulator, options: ClientOptions = {}): Stripe {
  return new Stripe(options.apiKey ?? API_KEY, {
    host: emulator.host,
    port: emulator.port,
    protocol: "http",
    maxNetworkRetries: options.maxNetworkRetries ?? 0,
    timeout: options.timeout ?? 5_000,
  });
}

/**
 * One emulator for a test file, started before its tests and closed after them; `ready`
 * receives it and an SDK client pointed at it.
 */
export function startEmulatorForFile(options: StripeEmulatorOptions, ready: (emulator: StripeEmulator, stripe: Stripe) => void): void {
  let started: StripeEmulator | undefined;
  beforeAll(async () => {
    started = await startStripeEmulator(options);
    ready(started, stripeFor(started));
  });
  afterAll(async () => {
    await started?.close();
  });
}

/** A confirmed $10 card payment that succeeds, tagged with `metadata`. */
export function visaPayment(metadata: Record<string, string>): Stripe.PaymentIntentCreateParams {
  return {
    amount: 1000,
    currency: "usd",
    metadata,
    payment_method: "pm_card_visa",
    confirm: true,
    automatic_payment_methods: NO_REDIRECTS,
  };
}

/** Metadata that marks the objects of one test, so assertions can count exactly those. */
export function testTag(): Record<string, string> {
  return { test_run: randomUUID() };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** A request without the SDK, for what the SDK hides or refuses to send. */
export async function rawRequest(
  emulator: StripeEmulator,
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string>; apiKey?: string | null } = {},
): Promise<RawResponse> {
  const apiKey = options.apiKey === undefined ? API_KEY : options.apiKey;
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: {
      ...(apiKey === null ? {} : { Authorization: `Bearer ${apiKey}` }),
      ...(options.body === undefined ? {} : { "Content-Type": "application/x-www-form-urlencoded" }),
      ...options.headers,
    },
    body: options.body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text === "" ? null : JSON.parse(text) };
}

/** Calls an admin endpoint with a JSON body. */
export async function adminRequest(
  emulator: StripeEmulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${emulator.url}/_emulator${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

/** Reads a nested property of an untyped JSON body, failing the test when the path is absent. */
export function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    const entries = typeof current === "object" && current !== null ? new Map<string, unknown>(Object.entries(current)) : new Map<string, unknown>();
    if (!entries.has(key)) throw new Error(`Missing ${path.join(".")} in ${JSON.stringify(value)}`);
    current = entries.get(key);
  }
  return current;
}

/** Runs `action` and returns what it threw; fails if it did not throw. */
export async function caught(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error("Expected the call to fail, it succeeded");
}

export interface ReceivedWebhook {
  body: string;
  headers: IncomingHttpHeaders;
  signature: string;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  close(): Promise<void>;
}

/** A tiny endpoint that records deliveries and answers what `respond` says for the n-th one (0-based). */
export async function startWebhookReceiver(
  respond: (attempt: number) => number | Promise<number> = () => 200,
): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const attempt = received.length;
      const signature = request.headers["stripe-signature"];
      received.push({
        body: Buffer.concat(chunks).toString("utf8"),
        headers: request.headers,
        signature: typeof signature === "string" ? signature : "",
      });
      void Promise.resolve(respond(attempt)).then((status) => response.writeHead(status).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("Webhook receiver is not listening");
  return {
    url: `http://127.0.0.1:${address.port}/webhooks/stripe`,
    received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The publishable key of API_KEY's account (the emulator's pk_test_<suffix> / sk_test_<suffix> convention). */
export const PUBLISHABLE_KEY = "pk_test_emulator_suite";

/** Card data as the Payment Element collects it, for a test card number. */
export function cardParams(number: string, cvc = number.startsWith("3") ? "1234" : "123"): Record<string, string> {
  return { number, exp_month: "12", exp_year: String(new Date().getUTCFullYear() + 3), cvc };
}

/** Stripe's form encoding of nested parameters, as Stripe.js sends them: `card[number]=…`. */
export function formBody(params: Record<string, unknown>): string {
  const pairs = new URLSearchParams();
  const add = (value: unknown, name: string) => {
    if (value === undefined) return;
    if (typeof value === "object" && value !== null) {
      for (const [key, entry] of Object.entries(value)) add(entry, `${name}[${key}]`);
    } else {
      pairs.append(name, String(value));
    }
  };
  for (const [key, value] of Object.entries(params)) add(value, key);
  return pairs.toString();
}

/**
 * What Stripe.js's createConfirmationToken does for a typed-in card: `POST /v1/confirmation_tokens`
 * with the publishable key. Returns the token's id; fails the test on any other answer.
 */
export async function confirmationTokenFor(
  emulator: StripeEmulator,
  number: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const response = await rawRequest(emulator, "POST", "/v1/confirmation_tokens", {
    apiKey: PUBLISHABLE_KEY,
    body: formBody({
      payment_method_data: { type: "card", card: cardParams(number), billing_details: { address: { postal_code: "10115" } } },
      ...extra,
    }),
  });
  if (response.status !== 200) throw new Error(`POST /v1/confirmation_tokens answered ${response.status}: ${response.text}`);
  return String(field(response.json, "id"));
}
