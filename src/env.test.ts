import { describe, expect, it } from "vitest";
import { EnvError, parseDatabaseEnv, parseEnv } from "./env";

const valid = {
  DATABASE_URL: "postgresql://app:secret@127.0.0.1:5432/payments",
  AUTH_SECRET: "a".repeat(32),
  STRIPE_SECRET_KEY: "sk_test_123",
  STRIPE_WEBHOOK_SECRET: "whsec_123",
};

describe("parseEnv", () => {
  it("accepts a minimal valid environment and applies defaults", () => {
    const env = parseEnv(valid);
    expect(env.IDEMPOTENCY_TTL).toBe(86_400);
    expect(env.IDEMPOTENCY_LOCK_TIMEOUT).toBe(60);
    expect(env.DATABASE_POOL_SIZE).toBe(10);
    expect(env.STRIPE_API_BASE).toBeUndefined();
  });

  it("accepts NEXTAUTH_SECRET as the auth secret", () => {
    const { AUTH_SECRET: _omitted, ...rest } = valid;
    expect(parseEnv({ ...rest, NEXTAUTH_SECRET: "b".repeat(40) }).AUTH_SECRET).toBe("b".repeat(40));
  });

  it("names a missing variable", () => {
    const { DATABASE_URL: _omitted, ...rest } = valid;
    expect(() => parseEnv(rest)).toThrowError(/DATABASE_URL: is required but not set/);
  });

  it("lists every bad variable in one message", () => {
    const attempt = () => parseEnv({ ...valid, DATABASE_URL: "mysql://x@y/z", STRIPE_SECRET_KEY: "pk_test_1", IDEMPOTENCY_TTL: "abc" });
    expect(attempt).toThrowError(EnvError);
    try {
      attempt();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain("DATABASE_URL: must be a postgresql:// connection string");
      expect(message).toContain("STRIPE_SECRET_KEY: must look like sk_test_");
      expect(message).toContain("IDEMPOTENCY_TTL");
    }
  });

  it("rejects a short auth secret and a TTL beyond Stripe's 24 hours", () => {
    expect(() => parseEnv({ ...valid, AUTH_SECRET: "short" })).toThrowError(/AUTH_SECRET: must be at least 32/);
    expect(() => parseEnv({ ...valid, IDEMPOTENCY_TTL: "90000" })).toThrowError(/IDEMPOTENCY_TTL: must not exceed 86400/);
  });

  it("rejects a lock timeout that a slow Stripe call could outlive", () => {
    const env = { ...valid, STRIPE_TIMEOUT_MS: "20000", STRIPE_MAX_NETWORK_RETRIES: "2", IDEMPOTENCY_LOCK_TIMEOUT: "60" };
    expect(() => parseEnv(env)).toThrowError(/IDEMPOTENCY_LOCK_TIMEOUT: must exceed STRIPE_TIMEOUT_MS/);
    expect(parseEnv({ ...env, IDEMPOTENCY_LOCK_TIMEOUT: "71" }).IDEMPOTENCY_LOCK_TIMEOUT).toBe(71);
  });

  it("knows nothing of the test harnesses: their variables are not configuration", () => {
    // The chaos hook and the benchmark's routes are built in by the harnesses themselves
    // (docs/decisions/007-test-hooks-outside-src.md); the app's configuration ignores them.
    expect(parseEnv({ ...valid, CHAOS_CRASH_AT: "after-claim", BENCH_ROUTES: "enabled" })).toEqual(parseEnv(valid));
  });

  it("validates only the database variables for tools that need nothing else", () => {
    expect(parseDatabaseEnv({ DATABASE_URL: valid.DATABASE_URL })).toEqual({ DATABASE_URL: valid.DATABASE_URL, DATABASE_POOL_SIZE: 10 });
    expect(() => parseDatabaseEnv({})).toThrowError(/DATABASE_URL: is required but not set/);
  });
});
