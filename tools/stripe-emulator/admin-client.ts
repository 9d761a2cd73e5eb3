import type { Faults } from "./faults";
import type { Dispute, PaymentIntent } from "./objects";
import type { Stats } from "./stats";

/**
 * A client for the emulator's loopback admin endpoints (`/_emulator/*`), which mirror the
 * handle of `startStripeEmulator`: for tests whose emulator runs in another process (a
 * Vitest global setup). `baseUrl` is read on each call, so it may come from `inject()`.
 */
export function emulatorAdminClient(baseUrl: () => string) {
  async function admin<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${baseUrl()}/_emulator${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
    });
    if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  return {
    setFaults: (changes: Partial<Faults>) => admin<Faults>("POST", "/faults", changes),
    resetFaults: () => admin<Faults>("DELETE", "/faults"),
    stats: () => admin<Stats>("GET", "/stats"),
    /** Every PaymentIntent whose metadata has all of these entries, newest first. */
    paymentIntents: async (metadata: Record<string, string>) => {
      const query = new URLSearchParams(Object.entries(metadata).map(([key, value]) => [`metadata[${key}]`, value]));
      return (await admin<{ data: PaymentIntent[] }>("GET", `/payment_intents?${query}`)).data;
    },
    /** Plays the customer's 3-D Secure step for a PaymentIntent in `requires_action`. */
    authenticatePaymentIntent: (id: string, result: "succeed" | "fail") =>
      admin<PaymentIntent>("POST", `/payment_intents/${encodeURIComponent(id)}/authenticate`, { result }),
    /** Runs now what would happen later (disputes, refund failures): all, or for one object or PaymentIntent. */
    settle: async (id?: string) => (await admin<{ settled: string[] }>("POST", "/settle", id === undefined ? {} : { id })).settled,
    /** Closes an open dispute as the card network decided. */
    closeDispute: (id: string, status: "won" | "lost") =>
      admin<Dispute>("POST", `/disputes/${encodeURIComponent(id)}/close`, { status }),
    /** Resolves once every queued webhook delivery succeeded or was given up. */
    flushWebhooks: () => admin<unknown>("POST", "/webhooks/flush"),
    /** Where webhooks go, optionally pinned to an API version; null stops deliveries. */
    setWebhook: (url: string | null, secret?: string, endpoint: { apiVersion?: string } = {}) =>
      admin<unknown>("POST", "/webhook", { url, secret, ...endpoint }),
  };
}
