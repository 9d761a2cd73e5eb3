import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { POST as webhookRoute } from "@/app/api/webhooks/stripe/route";
import { env } from "@/env";

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
  const payload = JSON.stringify(event, null, 2);
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
  const server = createServer((incoming, outgoing) => {
    forward(incoming, outgoing, deliveries).catch((error: unknown) => {
      outgoing.statusCode = 502;
      outgoing.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/webhooks/stripe`,
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function forward(incoming: IncomingMessage, outgoing: ServerResponse, deliveries: Delivery[]): Promise<void> {
  if (incoming.method !== "POST") {
    outgoing.writeHead(405).end();
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
  }
  const response = await webhookRoute(
    new Request(`http://127.0.0.1${incoming.url ?? "/"}`, { method: "POST", headers, body: raw }),
    { params: Promise.resolve({}) },
  );
  const text = await response.text();
  const event = JSON.parse(raw.toString("utf8")) as { id: string; type: string };
  deliveries.push({ eventId: event.id, type: event.type, status: response.status, body: JSON.parse(text) });
  outgoing.writeHead(response.status, Object.fromEntries(response.headers));
  outgoing.end(text);
}
