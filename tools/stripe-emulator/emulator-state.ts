import type { Accounts } from "./accounts";
import type { ApiVersions } from "./api-version";
import type { EventRecorder } from "./event-recorder";
import type { FaultInjector } from "./faults";
import type { Settler } from "./settlements";
import type { StatsRecorder } from "./stats";
import type { WebhookDispatcher } from "./webhooks";

/** Everything a running emulator holds; shared by the API handler, the admin handler and the handle. */
export interface EmulatorState {
  accounts: Accounts;
  faults: FaultInjector;
  stats: StatsRecorder;
  webhooks: WebhookDispatcher;
  events: EventRecorder;
  /** The account's default API version and the versions a request may ask for. */
  apiVersions: ApiVersions;
  /** Runs what Stripe does "some time later": disputes opening, refunds failing or settling. */
  settler: Settler;
  /** Call after changing objects outside an API request, so that a data dir gets saved. */
  changed: () => void;
  /** Milliseconds; injectable so tests can move time past the idempotency window. */
  now: () => number;
  log: (line: string) => void;
  /** Aborted on close, so held responses and latency waits end at once. */
  shutdown: AbortSignal;
  /** Known once the server listens. */
  baseUrl: string;
}
