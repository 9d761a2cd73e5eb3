import { inject } from "vitest";

export type ChaosUser = { id: string; email: string; apiKey: string };

export type InstanceName = "a" | "b" | "c" | "d";

/** What the global setup hands to every chaos and corpus test file (JSON, via provide/inject). */
export type ChaosContext = {
  /**
   * The production instances sharing one database, by name: two (a, b) directly to
   * PostgreSQL, four (a–d) through PgBouncer. `a` is the one the scenarios crash; `b` gets
   * the emulator's webhooks.
   */
  instances: { a: string; b: string } & Partial<Record<"c" | "d", string>>;
  topology: {
    name: "direct" | "pgbouncer";
    /** PostgreSQL's max_connections. */
    postgresMaxConnections: number;
    /** DATABASE_POOL_SIZE of each instance. */
    poolSizePerInstance: number;
    /** Set when the instances reach PostgreSQL through PgBouncer (transaction pooling). */
    pgbouncer?: {
      /** The admin console: SHOW POOLS, SHOW CLIENTS, SHOW STATS. */
      adminUrl: string;
      /** The most server connections PgBouncer may open to PostgreSQL: default_pool_size + reserve_pool_size. */
      serverPoolSize: number;
      maxClientConn: number;
    };
  };
  /** Where PostgreSQL, PgBouncer and each instance log (every run of it). */
  logFiles: { postgres: string; pgbouncer?: string; instances: Record<string, string> };
  controlUrl: string;
  /** The instances' build directory (the chaos build: the app with crash-at-phase.ts). */
  distDir: string;
  emulatorUrl: string;
  /** The run's database, straight to PostgreSQL (also when the instances go through PgBouncer). */
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

/** Every instance's name, a first. */
export function instanceNames(): InstanceName[] {
  return (Object.keys(chaosContext().instances) as InstanceName[]).sort();
}

/** Every instance's base URL, a first. */
export function instanceUrls(): string[] {
  const { instances } = chaosContext();
  return instanceNames().map((name) => instances[name]!);
}

export function chaosUser(role: string): ChaosUser {
  const user = chaosContext().users[role];
  if (!user) throw new Error(`no chaos user "${role}": add it to CHAOS_USER_ROLES in global-setup.ts`);
  return user;
}
