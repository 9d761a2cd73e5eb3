import { describe, expect, it } from "vitest";
import { EnvError, parseDatabaseEnv, parseEnv, preferWaitCapSeconds, stripeJsConfig } from "./env";

const valid = {
  DATABASE_URL: "postgresql://app:secret@127.0.0.1:5432/payments",
  AUTH_SECRET: "a".repeat(32),
  STRIPE_SECRET_KEY: "sk_test_123",
  STRIPE_WEBHOOK_SECRET: "whsec_123",
  NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY: "pk_test_123",
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

  it("fits the Stripe call and its retries inside MAX_REQUEST_SECONDS, with 2 s to spare, and caps Prefer: wait below it", () => {
    // The defaults: 10 s × 3 attempts + 2 × 5 s of backoff = 40 s, too long for a 10 s function.
    expect(() => parseEnv({ ...valid, MAX_REQUEST_SECONDS: "10" })).toThrowError(
      /MAX_REQUEST_SECONDS: must leave room for STRIPE_TIMEOUT_MS × \(STRIPE_MAX_NETWORK_RETRIES \+ 1\)/,
    );
    expect(() => parseEnv({ ...valid, MAX_REQUEST_SECONDS: "10", STRIPE_MAX_NETWORK_RETRIES: "0", STRIPE_TIMEOUT_MS: "8001" })).toThrowError(
      /MAX_REQUEST_SECONDS/,
    );
    const serverless = parseEnv({ ...valid, MAX_REQUEST_SECONDS: "10", STRIPE_MAX_NETWORK_RETRIES: "0", STRIPE_TIMEOUT_MS: "8000" });
    expect(serverless.MAX_REQUEST_SECONDS).toBe(10);
    expect(preferWaitCapSeconds(serverless)).toBe(8);
    expect(preferWaitCapSeconds(parseEnv({ ...valid, MAX_REQUEST_SECONDS: "60" }))).toBe(10);
    expect(preferWaitCapSeconds(parseEnv(valid))).toBe(10); // a container: no limit
    for (const bad of ["2", "0", "-5", "901", "ten", "9.5"]) {
      expect(() => parseEnv({ ...valid, MAX_REQUEST_SECONDS: bad }), bad).toThrowError(/MAX_REQUEST_SECONDS/);
    }
  });

  it("knows nothing of the test harnesses: their variables are not configuration", () => {
    // The chaos hook and the benchmark's routes are built in by the harnesses themselves
    // (docs/decisions/007-test-hooks-outside-src.md); the app's configuration ignores them.
    expect(parseEnv({ ...valid, CHAOS_CRASH_AT: "after-claim", BENCH_ROUTES: "enabled" })).toEqual(parseEnv(valid));
  });

  describe("Stripe.js for the checkout", () => {
    const emulator = { ...valid, NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY: undefined, STRIPE_API_BASE: "http://127.0.0.1:12111" };

    it("needs the publishable key with real Stripe, and lets loadStripe fetch Stripe.js from js.stripe.com", () => {
      expect(() => parseEnv({ ...valid, NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY: undefined })).toThrowError(
        /NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY: is required with real Stripe/,
      );
      expect(stripeJsConfig(parseEnv(valid))).toEqual({ publishableKey: "pk_test_123", standInUrl: null });
    });

    it.each([
      ["a secret key", "sk_test_123", /must look like pk_test_/],
      ["a key of the other mode", "pk_live_123", /must be in the same mode as STRIPE_SECRET_KEY/],
      ["a key with a NUL", "pk_test_1\u0000", /must look like pk_test_/],
    ])("refuses %s as the publishable key", (_what, key, message) => {
      expect(() => parseEnv({ ...valid, NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY: key })).toThrowError(message);
    });

    it("refuses to load Stripe.js from anywhere else with real Stripe", () => {
      expect(() => parseEnv({ ...valid, STRIPE_JS_URL: "https://cdn.example.com/stripe.js" })).toThrowError(/STRIPE_JS_URL: is only for the emulator/);
    });

    it("with the emulator: its stand-in, and the secret key's pk_ twin unless a key is set", () => {
      expect(stripeJsConfig(parseEnv(emulator))).toEqual({ publishableKey: "pk_test_123", standInUrl: "http://127.0.0.1:12111/endive/stripe.js" });
      const elsewhere = { ...emulator, NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY: "pk_test_other", STRIPE_JS_URL: "http://stripe.test:8080/v3" };
      expect(stripeJsConfig(parseEnv(elsewhere))).toEqual({ publishableKey: "pk_test_other", standInUrl: "http://stripe.test:8080/v3" });
    });
  });

  it("validates only the database variables for tools that need nothing else", () => {
    expect(parseDatabaseEnv({ DATABASE_URL: valid.DATABASE_URL })).toEqual({ DATABASE_URL: valid.DATABASE_URL, DATABASE_POOL_SIZE: 10 });
    expect(() => parseDatabaseEnv({})).toThrowError(/DATABASE_URL: is required but not set/);
  });
});
