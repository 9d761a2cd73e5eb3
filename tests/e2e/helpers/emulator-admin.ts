import { inject } from "vitest";
import { emulatorAdminClient } from "../../../tools/stripe-emulator/admin-client";

const client = emulatorAdminClient(() => inject("e2eEmulatorUrl"));

/**
 * The run's Stripe emulator: it runs in the global setup's process, so the test files reach
 * it over its admin endpoints (the same EmulatorControl as the in-process handle).
 */
export const emulator = {
  ...client,
  /** PaymentIntents whose metadata names this user, newest first. */
  paymentIntentsOf: (userId: string) => client.paymentIntents({ user_id: userId }),
};
