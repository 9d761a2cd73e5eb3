import Stripe from "stripe";
import type { TestProject } from "vitest/node";
import { startStripeEmulator } from "../../tools/stripe-emulator";
import { chooseStripeTarget, type StripeTarget, webhookUrl } from "./stripe-side";

declare module "vitest" {
  export interface ProvidedContext {
    stripeTarget: StripeTarget;
  }
}

/**
 * Decides where `npm run test:stripe` runs (tests/stripe/stripe-side.ts), before PostgreSQL is
 * started (tests/global-setup.ts runs after this one): a live key is refused here, loudly, and
 * nothing else starts. Starts an emulator when none is given, and checks that a given emulator
 * or a real test key answers, so a wrong setting fails once, with its name, not in every test.
 */
export default async function setup(project: TestProject) {
  const choice = chooseStripeTarget(process.env);
  let target: StripeTarget;
  let stop = async () => {};

  if (choice.kind === "real") {
    target = choice;
    await expectWorkingTestKey(target.secretKey);
    const url = webhookUrl(target.webhookPort);
    log(
      [
        `against REAL Stripe test mode (key sk_test_…${target.secretKey.slice(-4)})`,
        `each test file receives webhooks at ${url}; keep this running meanwhile:`,
        `  stripe listen --api-key "$STRIPE_SECRET_KEY" --forward-to ${url}`,
      ].join("\n"),
    );
  } else if (choice.apiBase === null) {
    const emulator = await startStripeEmulator({ port: 0 });
    stop = () => emulator.close();
    target = { ...choice, apiBase: emulator.url };
    log(`against the Stripe emulator it started at ${emulator.url}`);
  } else {
    target = { ...choice, apiBase: choice.apiBase };
    await expectEmulatorAt(target.apiBase);
    log(`against the Stripe emulator at ${target.apiBase} (its webhook endpoint is repointed while the suite runs)`);
  }

  project.provide("stripeTarget", target);
  return stop;
}

function log(message: string): void {
  console.log(`[test:stripe] ${message.replaceAll("\n", "\n[test:stripe] ")}`);
}

async function expectEmulatorAt(apiBase: string): Promise<void> {
  const health = await fetch(new URL("/_emulator/health", apiBase), { signal: AbortSignal.timeout(5_000) }).catch((error: unknown) => error);
  if (health instanceof Response && health.ok) return;
  throw new Error(
    `STRIPE_API_BASE=${apiBase} is not a Stripe emulator (no answer from /_emulator/health). ` +
      "Unset STRIPE_API_BASE to run against real Stripe test mode with an sk_test_ key, or against an emulator the suite starts itself.",
  );
}

async function expectWorkingTestKey(secretKey: string): Promise<void> {
  const stripe = new Stripe(secretKey, { maxNetworkRetries: 1, timeout: 15_000, telemetry: false });
  try {
    await stripe.paymentIntents.list({ limit: 1 });
  } catch (error) {
    throw new Error(`Stripe refused or could not be reached with STRIPE_SECRET_KEY (sk_test_…${secretKey.slice(-4)}): ${String(error)}`);
  }
}
