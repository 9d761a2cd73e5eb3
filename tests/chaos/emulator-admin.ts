import type { Faults, PaymentIntent, Stats } from "../../tools/stripe-emulator";
import { chaosContext } from "./chaos-context";

/**
 * The Stripe emulator of the run lives in the global setup's process; tests drive it through
 * its loopback admin endpoints (tools/stripe-emulator/README.md), which mirror its handle.
 */
export const emulator = {
  setFaults: (changes: Partial<Faults>) => admin<Faults>("POST", "/faults", changes),
  resetFaults: () => admin<Faults>("DELETE", "/faults"),
  stats: () => admin<Stats>("GET", "/stats"),
  /** Every PaymentIntent whose metadata has all of these entries, newest first. */
  paymentIntents: async (metadata: Record<string, string>) => {
    const query = Object.entries(metadata)
      .map(([key, value]) => `metadata[${encodeURIComponent(key)}]=${encodeURIComponent(value)}`)
      .join("&");
    return (await admin<{ data: PaymentIntent[] }>("GET", `/payment_intents?${query}`)).data;
  },
  /** Plays the customer's 3-D Secure step for a PaymentIntent in `requires_action`. */
  authenticatePaymentIntent: (id: string, result: "succeed" | "fail") =>
    admin<PaymentIntent>("POST", `/payment_intents/${encodeURIComponent(id)}/authenticate`, { result }),
  /** Resolves once every queued webhook delivery succeeded or was given up. */
  flushWebhooks: () => admin<unknown>("POST", "/webhooks/flush"),
  /** Where webhooks go; null stops deliveries. */
  setWebhook: (url: string | null) => admin<unknown>("POST", "/webhook", { url, secret: chaosContext().webhookSecret }),
};

async function admin<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${chaosContext().emulatorUrl}/_emulator${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
  });
  if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}
