/**
 * The environment of an app server under a benchmark load: its database and the emulator,
 * and a rate limit no load reaches (the limit is not what is measured).
 */
export function benchServerEnv(options: { databaseUrl: string; poolSize: number; stripeApiBase: string }): Record<string, string> {
  return {
    DATABASE_URL: options.databaseUrl,
    DATABASE_POOL_SIZE: String(options.poolSize),
    AUTH_SECRET: "bench-auth-secret-0123456789-0123456789",
    AUTH_TRUST_HOST: "true",
    STRIPE_SECRET_KEY: "sk_test_bench",
    STRIPE_WEBHOOK_SECRET: "whsec_bench",
    STRIPE_API_BASE: options.stripeApiBase,
    RATE_LIMIT_PAYMENTS_PER_MINUTE: "100000000",
    LOG_LEVEL: "warn",
    NEXT_TELEMETRY_DISABLED: "1",
  };
}
