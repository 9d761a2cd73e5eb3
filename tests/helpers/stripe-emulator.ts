import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { startStripeEmulator, type StripeEmulator, type StripeEmulatorOptions } from "../../tools/stripe-emulator";

/**
 * Starts a Stripe emulator for this test file and points the app's Stripe client at it.
 * Must run before the first env() call of the file (i.e. at the top of the file).
 * Each file uses its own secret key, so it sees only its own PaymentIntents.
 */
export function startStripeEmulatorForFile(
  settings: { timeoutMs?: number; maxNetworkRetries?: number; lockTimeoutSeconds?: number; emulator?: StripeEmulatorOptions } = {},
) {
  const handle: { current: StripeEmulator | null } = { current: null };
  Object.assign(process.env, {
    STRIPE_SECRET_KEY: `sk_test_${randomBytes(8).toString("hex")}`,
    STRIPE_TIMEOUT_MS: String(settings.timeoutMs ?? 2_000),
    STRIPE_MAX_NETWORK_RETRIES: String(settings.maxNetworkRetries ?? 0),
    IDEMPOTENCY_LOCK_TIMEOUT: String(settings.lockTimeoutSeconds ?? 5),
  });

  beforeAll(async () => {
    handle.current = await startStripeEmulator(settings.emulator);
    process.env.STRIPE_API_BASE = handle.current.url;
  });
  beforeEach(() => {
    handle.current?.resetFaults();
  });
  afterAll(async () => {
    await handle.current?.close();
  });

  return {
    get emulator(): StripeEmulator {
      if (!handle.current) throw new Error("the emulator starts in beforeAll");
      return handle.current;
    },
  };
}
