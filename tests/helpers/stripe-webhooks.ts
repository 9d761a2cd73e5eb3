import Stripe from "stripe";
import { afterAll, beforeAll } from "vitest";
import { POST as webhookRoute } from "@/app/api/webhooks/stripe/route";
import { env } from "@/env";
import { stripe } from "@/server/stripe";
import { startRouteServer } from "./route-server";

const WEBHOOK_URL = "http://localhost/api/webhooks/stripe";

/** A `Stripe-Signature` header for `payload`, signed as Stripe signs (the app's secret by default). */
export function signature(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? env().STRIPE_WEBHOOK_SECRET,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  });
}

/** POST /api/webhooks/stripe with this exact body and Stripe-Signature (none when null). */
export function postWebhook(payload: string, stripeSignature: string | null): Promise<Response> {
  const headers: Record<string, string> = { "Content-Type": "application/json; charset=utf-8" };
  if (stripeSignature !== null) headers["Stripe-Signature"] = stripeSignature;
  return webhookRoute(new Request(WEBHOOK_URL, { method: "POST", headers, body: payload }), {
    params: Promise.resolve({}),
  });
}

/** Delivers `event` as Stripe does: pretty-printed JSON, freshly signed with the app's secret. */
export function deliver(event: object): Promise<Response> {
  return deliverPayload(JSON.stringify(event, null, 2));
}

/** Delivers these exact bytes, correctly signed: for bodies no JSON.stringify of an event gives. */
export function deliverPayload(payload: string): Promise<Response> {
  return postWebhook(payload, signature(payload));
}

export type Delivery = { eventId: string; type: string; status: number; body: unknown };

export type WebhookReceiver = {
  url: string;
  /** Every delivery the route answered, in order. */
  deliveries: Delivery[];
  close(): Promise<void>;
};

/**
 * A real HTTP endpoint on 127.0.0.1 (free port) that hands each POST to the webhook route
 * handler, as Next.js would: lets the emulator deliver its signed webhooks to the app.
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const recordingRoute = async (request: Request, context: { params: Promise<Record<string, never>> }) => {
    const event = JSON.parse(await request.clone().text()) as { id: string; type: string };
    const response = await webhookRoute(request, context);
    deliveries.push({ eventId: event.id, type: event.type, status: response.status, body: await response.clone().json() });
    return response;
  };
  const server = await startRouteServer({ "/api/webhooks/stripe": { POST: recordingRoute } });
  return { url: `${server.url}/api/webhooks/stripe`, deliveries, close: server.close };
}

/**
 * For a test file: the file's emulator delivers its signed webhooks to the app's webhook
 * route over real HTTP (startWebhookReceiver), from before the first test to after the last.
 */
export function deliverWebhooksToAppForFile(stripe: { emulator: { setWebhook(url: string | null, secret?: string): void } }) {
  let receiver: WebhookReceiver | undefined;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    stripe.emulator.setWebhook(receiver.url, env().STRIPE_WEBHOOK_SECRET);
  });
  afterAll(async () => {
    stripe.emulator.setWebhook(null);
    await receiver?.close();
  });
  return {
    get deliveries(): Delivery[] {
      if (!receiver) throw new Error("the receiver starts in beforeAll");
      return receiver.deliveries;
    },
  };
}

/**
 * A succeeded PaymentIntent made with the app's secret key but not through its API, as by
 * another app or a script sharing the Stripe account: its metadata is whatever it was given.
 */
export function intentMadeElsewhere(metadata: Record<string, string> = {}): Promise<Stripe.PaymentIntent> {
  return stripe().paymentIntents.create({
    amount: 1_000,
    currency: "usd",
    payment_method: "pm_card_visa",
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: "never" },
    metadata,
  });
}

