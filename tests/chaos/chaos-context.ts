import { inject } from "vitest";

export type ChaosUser = { id: string; email: string; apiKey: string };

/** What the global setup hands to every chaos and corpus test file (JSON, via provide/inject). */
export type ChaosContext = {
  /** Two production instances sharing one database: `a` is the one the scenarios crash. */
  instances: { a: string; b: string };
  controlUrl: string;
  /** The instances' build directory (the chaos build: the app with crash-at-phase.ts). */
  distDir: string;
  emulatorUrl: string;
  databaseUrl: string;
  webhookSecret: string;
  /** IDEMPOTENCY_LOCK_TIMEOUT of the instances, in seconds. */
  lockTimeoutSeconds: number;
  /** STRIPE_TIMEOUT_MS of the instances. */
  stripeTimeoutMs: number;
  /** By role; each scenario uses its own users, so their rows and PaymentIntents never mix. */
  users: Record<string, ChaosUser>;
  /** An API key that was revoked after it was created. */
  revokedApiKey: string;
  /** JSON lines of SummaryRow, printed as a table by the global teardown. */
  summaryFile: string;
};

declare module "vitest" {
  export interface ProvidedContext {
    chaos: ChaosContext;
  }
}

export function chaosContext(): ChaosContext {
  return inject("chaos");
}

export function chaosUser(role: string): ChaosUser {
  const user = chaosContext().users[role];
  if (!user) throw new Error(`no chaos user "${role}": add it to CHAOS_USER_ROLES in global-setup.ts`);
  return user;
}
