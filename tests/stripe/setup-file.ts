import { inject } from "vitest";

// Runs after tests/setup-file.ts (a database per file), before the file's imports are
// evaluated: points the app's Stripe client and webhook verification at the run's target.
const target = inject("stripeTarget");
if (!target.secretKey.startsWith("sk_test_")) {
  throw new Error("test:stripe runs only with an sk_test_ key (tests/stripe/stripe-side.ts)");
}
Object.assign(process.env, { STRIPE_SECRET_KEY: target.secretKey, STRIPE_WEBHOOK_SECRET: target.webhookSecret });
if (target.kind === "emulator") process.env.STRIPE_API_BASE = target.apiBase;
else delete process.env.STRIPE_API_BASE; // unset: the SDK talks to api.stripe.com
