import { z } from "zod";
import { MAX_PREFER_WAIT_SECONDS } from "@/lib/openapi/idempotency-policy";
import type { StripeJsConfig } from "@/lib/stripe-js";

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** What a database connection needs, and nothing else (see databaseEnv). */
const databaseSchema = z.object({
  DATABASE_URL: z
    .string()
    .url()
    .refine((url) => /^postgres(ql)?:\/\//.test(url), "must be a postgresql:// connection string"),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
});

const schema = databaseSchema
  .extend({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    AUTH_SECRET: z.string().min(32, "must be at least 32 characters (openssl rand -base64 32)"),
    AUTH_URL: z.string().url().optional(),
    AUTH_GITHUB_ID: z.string().min(1).optional(),
    AUTH_GITHUB_SECRET: z.string().min(1).optional(),
    STRIPE_SECRET_KEY: z.string().regex(/^sk_(test|live)_[A-Za-z0-9_]+$/, "must look like sk_test_…"),
    STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9_]+$/, "must look like whsec_…"),
    /**
     * The publishable key the checkout page gives Stripe.js. Read at request time and handed
     * to the page, so one build serves any key. With the emulator it defaults to the
     * `pk_test_…` twin of the secret key (the emulator's convention).
     */
    NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY: z
      .string()
      .regex(/^pk_(test|live)_[A-Za-z0-9_]+$/, "must look like pk_test_… (Dashboard → Developers → API keys)")
      .optional(),
    /**
     * Where the page loads Stripe.js from when the app talks to the emulator (default: the
     * emulator's own copy of the Stripe.js release @stripe/stripe-js expects); with real Stripe
     * it is always js.stripe.com, as Stripe requires.
     */
    STRIPE_JS_URL: z.string().url().optional(),
    /** Base URL of a Stripe-compatible server (the local emulator); unset means api.stripe.com. */
    STRIPE_API_BASE: z.string().url().optional(),
    STRIPE_TIMEOUT_MS: z.coerce.number().int().min(100).max(80_000).default(10_000),
    STRIPE_MAX_NETWORK_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
    /** How long a completed key is replayed, in seconds (Stripe keeps its own keys 24 h). */
    IDEMPOTENCY_TTL: seconds(86_400).pipe(z.number().max(86_400, "must not exceed 86400 (Stripe's 24 h window)")),
    /** After this many seconds an in-flight key is presumed abandoned and may be taken over. */
    IDEMPOTENCY_LOCK_TIMEOUT: seconds(60),
    /**
     * The longest a request may run on this host (a serverless platform's function duration,
     * in seconds); unset on a host with no such limit (a container). `Prefer: wait` is then cut
     * short so that a duplicate is answered 409 + Retry-After before the platform kills it, and
     * the Stripe call with its retries must fit inside it (README, "Deploying").
     */
    MAX_REQUEST_SECONDS: z.coerce.number().int().min(3).max(900).optional(),
    RATE_LIMIT_PAYMENTS_PER_MINUTE: z.coerce.number().int().positive().default(30),
    /** Refunds a user may ask for per minute (replays of a completed key are free). */
    RATE_LIMIT_REFUNDS_PER_MINUTE: z.coerce.number().int().positive().default(30),
    /** Failed sign-ins per account (email) within AUTH_THROTTLE_WINDOW_SECONDS before 429. */
    AUTH_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().positive().default(5),
    /** Failed sign-ins per client address within the window before 429. */
    AUTH_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().positive().default(20),
    /** Sign-ups per client address within the window before 429. */
    SIGN_UPS_PER_ADDRESS: z.coerce.number().int().positive().default(10),
    AUTH_THROTTLE_WINDOW_SECONDS: seconds(900),
    /**
     * How many reverse proxies in front of the app append to X-Forwarded-* (the outermost one
     * must append or overwrite what the client sent). The client's address and the app's
     * origin are read that many entries from the right. With 0, X-Forwarded-Proto/Host are not
     * read, and the client address is X-Forwarded-For's rightmost entry, which `next start`
     * only fills in when the client sent none: deploy behind a proxy. See docs/SECURITY.md.
     */
    TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
    CRON_SECRET: z.string().min(16).optional(),
    METRICS_TOKEN: z.string().min(16).optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /**
     * Base URL of an OTLP/HTTP collector (`/v1/traces` is appended): request traces are exported
     * there. Unset, no tracer is registered and tracing costs next to nothing.
     */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
    /** The `service.name` of the exported traces. */
    OTEL_SERVICE_NAME: z.string().min(1).default("payments"),
  })
  .refine(
    // A request still waiting on Stripe must never look abandoned, or a second instance
    // would take its lock over and both would finish it (DESIGN.md §4).
    (env: StripeTiming & { IDEMPOTENCY_LOCK_TIMEOUT: number }) =>
      env.IDEMPOTENCY_LOCK_TIMEOUT * 1000 > stripeWorstCaseMs(env),
    {
      path: ["IDEMPOTENCY_LOCK_TIMEOUT"],
      message: "must exceed STRIPE_TIMEOUT_MS × (STRIPE_MAX_NETWORK_RETRIES + 1) plus retry backoff",
    },
  )
  .refine(
    // A request killed while Stripe answers loses its answer: the retry re-drives it (safe),
    // but every attempt would be killed the same way. Leave time for our own statements.
    (env: StripeTiming & { MAX_REQUEST_SECONDS?: number }) =>
      env.MAX_REQUEST_SECONDS === undefined || stripeWorstCaseMs(env) + OWN_WORK_MS <= env.MAX_REQUEST_SECONDS * 1000,
    {
      path: ["MAX_REQUEST_SECONDS"],
      message:
        "must leave room for STRIPE_TIMEOUT_MS × (STRIPE_MAX_NETWORK_RETRIES + 1) plus retry backoff, and 2 s more: lower STRIPE_TIMEOUT_MS or STRIPE_MAX_NETWORK_RETRIES (0 is fine: clients retry with the same key)",
    },
  )
  .refine((env) => env.STRIPE_API_BASE !== undefined || env.NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY !== undefined, {
    path: ["NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY"],
    message: "is required with real Stripe (the pk_… beside your STRIPE_SECRET_KEY)",
  })
  .refine(
    // A test-mode page with a live-mode server (or the reverse) fails at the first payment.
    (env) => !env.NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY || modeOf(env.NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY) === modeOf(env.STRIPE_SECRET_KEY),
    { path: ["NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY"], message: "must be in the same mode as STRIPE_SECRET_KEY (both test or both live)" },
  )
  .refine((env) => env.STRIPE_JS_URL === undefined || env.STRIPE_API_BASE !== undefined, {
    path: ["STRIPE_JS_URL"],
    message: "is only for the emulator: with real Stripe the page loads Stripe.js from js.stripe.com",
  });

function modeOf(key: string): "test" | "live" {
  return key.includes("_live_") ? "live" : "test";
}

/**
 * The emulator's Stripe.js stand-in, at the path of the release @stripe/stripe-js 10 loads
 * from js.stripe.com (`/endive/stripe.js`): loadStripe warns when Stripe.js reports another
 * release, and the stand-in reports the one in its path. `/v3` serves the same script.
 */
const STAND_IN_PATH = "/endive/stripe.js";

/**
 * Stripe.js for the checkout. With real Stripe, `loadStripe` loads it from js.stripe.com
 * itself, as PCI requires (docs.stripe.com/security/guide); with the emulator the page loads
 * the emulator's stand-in first, and the emulator's publishable key for this secret key is
 * used unless one is set.
 */
export function stripeJsConfig(env: Env): StripeJsConfig {
  if (!env.STRIPE_API_BASE) return { publishableKey: env.NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY ?? "", standInUrl: null };
  return {
    publishableKey: env.NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY ?? env.STRIPE_SECRET_KEY.replace(/^sk_/, "pk_"),
    standInUrl: env.STRIPE_JS_URL ?? new URL(STAND_IN_PATH, env.STRIPE_API_BASE).toString(),
  };
}

export type Env = z.infer<typeof schema>;
export type DatabaseEnv = z.infer<typeof databaseSchema>;

type StripeTiming = { STRIPE_TIMEOUT_MS: number; STRIPE_MAX_NETWORK_RETRIES: number };

/** Longest a Stripe call may take, with the SDK's retries and their backoff (≤ 5 s each). */
/** What a keyed request needs beside its Stripe call: its statements, the answer. */
const OWN_WORK_MS = 2_000;

/**
 * The longest `Prefer: wait` this host honours: 10 s, and under MAX_REQUEST_SECONDS short
 * enough to answer 409 + Retry-After before the platform ends the request.
 */
export function preferWaitCapSeconds(env: Pick<Env, "MAX_REQUEST_SECONDS">): number {
  const limit = env.MAX_REQUEST_SECONDS === undefined ? Infinity : env.MAX_REQUEST_SECONDS - OWN_WORK_MS / 1000;
  return Math.max(0, Math.min(MAX_PREFER_WAIT_SECONDS, limit));
}

export function stripeWorstCaseMs(env: StripeTiming): number {
  return env.STRIPE_TIMEOUT_MS * (env.STRIPE_MAX_NETWORK_RETRIES + 1) + env.STRIPE_MAX_NETWORK_RETRIES * 5_000;
}

export class EnvError extends Error {
  override name = "EnvError";
}

/** Validates `source`; throws one EnvError listing every bad variable by name. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  return parseWith(schema, {
    ...source,
    AUTH_SECRET: source.AUTH_SECRET ?? source.NEXTAUTH_SECRET,
  });
}

/** Validates only the database variables of `source`. */
export function parseDatabaseEnv(source: Record<string, string | undefined>): DatabaseEnv {
  return parseWith(databaseSchema, source);
}

function parseWith<S extends z.ZodType>(target: S, source: Record<string, string | undefined>): z.output<S> {
  const result = target.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join(".") || "environment";
    const missing = issue.code === "invalid_type" && source[name] === undefined;
    return `  ${name}: ${missing ? "is required but not set" : issue.message}`;
  });
  return failWith(`Invalid environment (see .env.example):\n${problems.join("\n")}`);
}

function failWith(message: string): never {
  throw new EnvError(message);
}

let cached: Env | undefined;

/**
 * The validated environment, read once. Nothing else reads `process.env`. It is parsed on
 * first use rather than at import so that `next build` can import route modules without
 * secrets; `instrumentation.ts` calls it at server start, so a bad value still fails at boot.
 */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

let cachedDatabase: DatabaseEnv | undefined;

/**
 * The database part of the environment only. The database client reads this instead of
 * env() so that command-line tools (`npm run api-key`, the seed) work with DATABASE_URL
 * alone; an app server still validates everything at boot through instrumentation.ts.
 */
export function databaseEnv(): DatabaseEnv {
  cachedDatabase ??= cached ?? parseDatabaseEnv(process.env);
  return cachedDatabase;
}
