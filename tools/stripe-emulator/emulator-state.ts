import type { Accounts } from "./accounts";
import type { EventRecorder } from "./event-recorder";
import type { FaultInjector } from "./faults";
import type { StatsRecorder } from "./stats";
import type { WebhookDispatcher } from "./webhooks";

/** Everything a running emulator holds; shared by the API handler, the admin handler and the handle. */
export interface EmulatorState {
  accounts: Accounts;
  faults: FaultInjector;
  stats: StatsRecorder;
  webhooks: WebhookDispatcher;
  events: EventRecorder;
  /** Milliseconds; injectable so tests can move time past the idempotency window. */
  now: () => number;
  log: (line: string) => void;
  /** Aborted on close, so held responses and latency waits end at once. */
  shutdown: AbortSignal;
  /** Known once the server listens. */
  baseUrl: string;
}
