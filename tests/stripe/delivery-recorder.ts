import { POST as webhookRoute } from "@/app/api/webhooks/stripe/route";
import { startRouteServer } from "../helpers/route-server";

/** One delivery as the app's webhook route received and answered it. */
export type ReceivedDelivery = {
  eventId: string;
  type: string;
  /** The event's `data.object`, as delivered. */
  object: { id?: unknown; [field: string]: unknown };
  /** The exact bytes and `Stripe-Signature` header that arrived. */
  payload: string;
  signature: string | null;
  status: number;
  body: unknown;
};

export type DeliveryRecorder = {
  url: string;
  /** Every delivery answered, in order of arrival. */
  deliveries: ReceivedDelivery[];
  close(): Promise<void>;
};

/**
 * The app's webhook route on 127.0.0.1, over real HTTP as Next.js would serve it, recording
 * each delivery: whoever sends them (the emulator, `stripe listen`, a test re-posting one)
 * reaches the same route handler and the file's database.
 */
export async function startDeliveryRecorder(port: number): Promise<DeliveryRecorder> {
  const deliveries: ReceivedDelivery[] = [];
  const recordingRoute = async (request: Request, context: { params: Promise<Record<string, never>> }) => {
    const payload = await request.clone().text();
    const signature = request.headers.get("stripe-signature");
    const response = await webhookRoute(request, context);
    const event = parseEvent(payload);
    deliveries.push({ ...event, payload, signature, status: response.status, body: await response.clone().json() });
    return response;
  };
  const server = await startRouteServer({ "/api/webhooks/stripe": { POST: recordingRoute } }, { port });
  return { url: `${server.url}/api/webhooks/stripe`, deliveries, close: server.close };
}

function parseEvent(payload: string): Pick<ReceivedDelivery, "eventId" | "type" | "object"> {
  try {
    const event = JSON.parse(payload) as { id?: unknown; type?: unknown; data?: { object?: ReceivedDelivery["object"] } };
    return { eventId: String(event.id), type: String(event.type), object: event.data?.object ?? {} };
  } catch {
    return { eventId: "", type: "", object: {} };
  }
}
