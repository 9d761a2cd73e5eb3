import { inject } from "vitest";
import type { Faults, PaymentIntent, Stats } from "../../../tools/stripe-emulator";

/**
 * The Stripe emulator of the run, through its admin endpoints: it runs in the global setup's
 * process, so the test files reach its `paymentIntents()`, `stats()` and `setFaults()` over
 * HTTP (the same EmulatorControl behind both).
 */
export const emulator = {
  /** PaymentIntents whose metadata names this user, newest first. */
  async paymentIntentsOf(userId: string): Promise<PaymentIntent[]> {
    const query = new URLSearchParams({ "metadata[user_id]": userId });
    return (await admin<{ data: PaymentIntent[] }>("GET", `/payment_intents?${query}`)).data;
  },
  stats: () => admin<Stats>("GET", "/stats"),
  setFaults: (faults: Partial<Faults>) => admin<Faults>("POST", "/faults", faults),
  resetFaults: () => admin<Faults>("DELETE", "/faults"),
};

async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${inject("e2eEmulatorUrl")}/_emulator${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}
