import "server-only";
import Stripe from "stripe";
import { env } from "@/env";

/** The API version this code was written against; the SDK pins the same by default. */
export const STRIPE_API_VERSION = "2026-10-28.endive";

let client: Stripe | undefined;

/**
 * One Stripe client per process, with an explicit timeout and retry budget (they bound
 * the lock timeout, see src/env.ts). STRIPE_API_BASE points it at the local emulator.
 */
export function stripe(): Stripe {
  if (client) return client;
  const { STRIPE_SECRET_KEY, STRIPE_API_BASE, STRIPE_TIMEOUT_MS, STRIPE_MAX_NETWORK_RETRIES } = env();
  const base = STRIPE_API_BASE ? new URL(STRIPE_API_BASE) : undefined;
  client = new Stripe(STRIPE_SECRET_KEY, {
    apiVersion: STRIPE_API_VERSION,
    timeout: STRIPE_TIMEOUT_MS,
    maxNetworkRetries: STRIPE_MAX_NETWORK_RETRIES,
    telemetry: false,
    appInfo: { name: "idempotent-payments" },
    ...(base && {
      host: base.hostname,
      port: base.port || (base.protocol === "https:" ? 443 : 80),
      protocol: base.protocol === "https:" ? "https" : "http",
    }),
  });
  return client;
}
