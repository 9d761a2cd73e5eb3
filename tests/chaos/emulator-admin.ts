import { emulatorAdminClient } from "../../tools/stripe-emulator/admin-client";
import { chaosContext } from "./chaos-context";

const client = emulatorAdminClient(() => chaosContext().emulatorUrl);

/** The run's Stripe emulator (in the global setup's process), through its admin endpoints. */
export const emulator = {
  ...client,
  /** Where webhooks go, signed with the run's secret; null stops deliveries. */
  setWebhook: (url: string | null) => client.setWebhook(url, chaosContext().webhookSecret),
};
