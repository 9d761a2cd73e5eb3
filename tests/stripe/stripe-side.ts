import { randomBytes } from "node:crypto";
import { emulatorAdminClient } from "../../tools/stripe-emulator/admin-client";

/**
 * Where `npm run test:stripe` runs, decided once by tests/stripe/global-setup.ts and handed to
 * every test file: the local emulator, or real Stripe in test mode.
 */
export type StripeTarget =
  | { kind: "emulator"; apiBase: string; secretKey: string; webhookSecret: string }
  | { kind: "real"; secretKey: string; webhookSecret: string; webhookPort: number };

/** The target as the environment names it; an emulator's `apiBase` null means "start one". */
export type StripeTargetChoice =
  | Extract<StripeTarget, { kind: "real" }>
  | { kind: "emulator"; apiBase: string | null; secretKey: string; webhookSecret: string };

/** The port `stripe listen --forward-to` is told when STRIPE_LISTEN_PORT is not set. */
export const DEFAULT_LISTEN_PORT = 4242;

export class StripeTargetError extends Error {
  override name = "StripeTargetError";
}

/**
 * Reads the target from the environment, refusing anything that is not test mode:
 *
 * - nothing set → the suite starts its own emulator (CI);
 * - `STRIPE_API_BASE` set → the emulator running there (its `/_emulator/*` endpoints are used);
 * - `STRIPE_SECRET_KEY=sk_test_…` alone → real Stripe test mode, with `STRIPE_WEBHOOK_SECRET`
 *   from `stripe listen` required, since the webhook flows need deliveries;
 * - a live key (`sk_live_…`, `rk_live_…`) → refused, whatever else is set: the suite creates
 *   and refunds charges.
 */
export function chooseStripeTarget(env: Record<string, string | undefined>): StripeTargetChoice {
  const key = blankToUndefined(env.STRIPE_SECRET_KEY);
  const base = blankToUndefined(env.STRIPE_API_BASE);
  const givenSecret = blankToUndefined(env.STRIPE_WEBHOOK_SECRET);

  if (key && /^[a-z]{2}_live_/.test(key)) {
    throw new StripeTargetError(
      [
        "",
        "REFUSED: STRIPE_SECRET_KEY is a LIVE-mode key.",
        "npm run test:stripe creates, declines, cancels and refunds real charges; it runs only",
        "against the emulator or Stripe test mode. Use a test key (sk_test_…) from the Dashboard",
        "in test mode, or unset STRIPE_SECRET_KEY to run against the emulator.",
        "",
      ].join("\n"),
    );
  }
  if (key && !/^sk_test_[A-Za-z0-9_]+$/.test(key)) {
    throw new StripeTargetError("STRIPE_SECRET_KEY must be a secret test-mode key (sk_test_…); restricted and publishable keys are not enough.");
  }
  if (givenSecret && !/^whsec_[A-Za-z0-9_]+$/.test(givenSecret)) {
    throw new StripeTargetError("STRIPE_WEBHOOK_SECRET must look like whsec_… (the secret `stripe listen` prints).");
  }

  if (base) {
    if (!URL.canParse(base)) throw new StripeTargetError(`STRIPE_API_BASE is not a URL: ${base}`);
    return { kind: "emulator", apiBase: base, secretKey: key ?? randomTestKey(), webhookSecret: givenSecret ?? randomWebhookSecret() };
  }
  if (!key) return { kind: "emulator", apiBase: null, secretKey: randomTestKey(), webhookSecret: givenSecret ?? randomWebhookSecret() };

  if (!givenSecret) {
    throw new StripeTargetError(
      [
        "Real Stripe test mode needs STRIPE_WEBHOOK_SECRET: the webhook flows wait for Stripe's deliveries.",
        "  export STRIPE_WEBHOOK_SECRET=$(stripe listen --api-key \"$STRIPE_SECRET_KEY\" --print-secret)",
        `and forward them while the suite runs (see README, "Against real Stripe test mode"):`,
        `  stripe listen --api-key "$STRIPE_SECRET_KEY" --forward-to ${webhookUrl(listenPort(env))}`,
      ].join("\n"),
    );
  }
  return { kind: "real", secretKey: key, webhookSecret: givenSecret, webhookPort: listenPort(env) };
}

/** The URL the suite's webhook receiver serves on `port` (127.0.0.1 only). */
export function webhookUrl(port: number): string {
  return `http://127.0.0.1:${port}/api/webhooks/stripe`;
}

function listenPort(env: Record<string, string | undefined>): number {
  const raw = blankToUndefined(env.STRIPE_LISTEN_PORT);
  if (raw === undefined) return DEFAULT_LISTEN_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new StripeTargetError(`STRIPE_LISTEN_PORT is not a port: ${raw}`);
  return port;
}

function blankToUndefined(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function randomTestKey(): string {
  // Its own account in the emulator: nothing of another run or of `npm run dev` is visible.
  return `sk_test_contract_${randomBytes(8).toString("hex")}`;
}

function randomWebhookSecret(): string {
  return `whsec_${randomBytes(16).toString("hex")}`;
}

/**
 * Everything the contract suite does differently on the two sides, and nothing else: how
 * Stripe's webhook deliveries reach the suite's receiver, and how long one may take. Every
 * request, assertion and read-back in tests/stripe/*.test.ts is the same on both sides and goes
 * through the official SDK.
 *
 * There is deliberately no "complete 3-D Secure" here. The emulator can (`/_emulator/.../
 * authenticate`), but Stripe only completes it in the customer's browser with Stripe.js
 * (docs.stripe.com/payments/3d-secure), so a step that succeeds on one side only would make the
 * two suites assert different things. three-d-secure.test.ts cancels the intent instead, which
 * Stripe allows in `requires_action` (docs.stripe.com/api/payment_intents/cancel).
 */
export interface StripeSide {
  readonly kind: StripeTarget["kind"];
  /** Where the file's webhook receiver listens: 0 (any free port), or the one `stripe listen` forwards to. */
  readonly webhookPort: number;
  /** The longest a test waits for a webhook to arrive and be applied. */
  readonly webhookTimeoutMs: number;
  /** Has Stripe deliver this account's events to `url` from now on. */
  connectWebhooks(url: string): Promise<void>;
  /** Lets deliveries under way finish, then stops them. */
  disconnectWebhooks(): Promise<void>;
  /** What to check when an expected delivery never came. */
  missingDeliveryHint(url: string): string;
}

export function stripeSide(target: StripeTarget): StripeSide {
  return target.kind === "emulator" ? emulatorSide(target) : realSide(target);
}

function emulatorSide(target: Extract<StripeTarget, { kind: "emulator" }>): StripeSide {
  const admin = emulatorAdminClient(() => target.apiBase);
  return {
    kind: "emulator",
    webhookPort: 0,
    // Deliveries leave the emulator at once; retries back off from 1 s.
    webhookTimeoutMs: 10_000,
    connectWebhooks: async (url) => {
      await admin.setWebhook(url, target.webhookSecret);
    },
    disconnectWebhooks: async () => {
      await admin.flushWebhooks();
      await admin.setWebhook(null);
    },
    missingDeliveryHint: () => `the emulator at ${target.apiBase} did not deliver it`,
  };
}

function realSide(target: Extract<StripeTarget, { kind: "real" }>): StripeSide {
  return {
    kind: "real",
    webhookPort: target.webhookPort,
    // Test-mode events reach `stripe listen` within seconds, but nothing bounds it more tightly.
    webhookTimeoutMs: 60_000,
    // `stripe listen --forward-to <url>` receives every event of the account and forwards it;
    // there is no endpoint to register from here (docs.stripe.com/cli/listen).
    connectWebhooks: async () => {},
    disconnectWebhooks: async () => {},
    missingDeliveryHint: (url) =>
      `is \`stripe listen --forward-to ${url}\` running for this account, and STRIPE_WEBHOOK_SECRET the secret it printed?`,
  };
}
