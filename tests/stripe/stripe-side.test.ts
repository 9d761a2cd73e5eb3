import { describe, expect, it } from "vitest";
import { chooseStripeTarget, DEFAULT_LISTEN_PORT, StripeTargetError } from "./stripe-side";

// Which Stripe the suite runs against, from the environment alone; a live key never runs.
describe("chooseStripeTarget", () => {
  it("starts its own emulator when nothing is set (CI)", () => {
    const target = chooseStripeTarget({});
    expect(target).toMatchObject({ kind: "emulator", apiBase: null });
    expect(target.secretKey).toMatch(/^sk_test_/);
    expect(target.webhookSecret).toMatch(/^whsec_/);
  });

  it("uses the emulator STRIPE_API_BASE names, with the given key", () => {
    expect(chooseStripeTarget({ STRIPE_API_BASE: "http://127.0.0.1:12111", STRIPE_SECRET_KEY: "sk_test_dev" })).toMatchObject({
      kind: "emulator",
      apiBase: "http://127.0.0.1:12111",
      secretKey: "sk_test_dev",
    });
  });

  it("runs against real Stripe with an sk_test_ key, no STRIPE_API_BASE and the secret of `stripe listen`", () => {
    expect(chooseStripeTarget({ STRIPE_SECRET_KEY: "sk_test_abc", STRIPE_WEBHOOK_SECRET: "whsec_def" })).toEqual({
      kind: "real",
      secretKey: "sk_test_abc",
      webhookSecret: "whsec_def",
      webhookPort: DEFAULT_LISTEN_PORT,
    });
    expect(chooseStripeTarget({ STRIPE_SECRET_KEY: "sk_test_abc", STRIPE_WEBHOOK_SECRET: "whsec_def", STRIPE_LISTEN_PORT: "5151" })).toMatchObject({
      webhookPort: 5151,
    });
  });

  it("asks for STRIPE_WEBHOOK_SECRET against real Stripe, naming the stripe listen command", () => {
    expect(() => chooseStripeTarget({ STRIPE_SECRET_KEY: "sk_test_abc" })).toThrow(/stripe listen .*--forward-to http:\/\/127\.0\.0\.1:4242\/api\/webhooks\/stripe/);
  });

  it.each(["sk_live_abc", "rk_live_abc", "pk_live_abc"])("refuses the live key %s, whatever else is set", (key) => {
    for (const rest of [{}, { STRIPE_API_BASE: "http://127.0.0.1:12111" }, { STRIPE_WEBHOOK_SECRET: "whsec_def" }]) {
      expect(() => chooseStripeTarget({ STRIPE_SECRET_KEY: key, ...rest })).toThrow(StripeTargetError);
      expect(() => chooseStripeTarget({ STRIPE_SECRET_KEY: key, ...rest })).toThrow(/REFUSED: STRIPE_SECRET_KEY is a LIVE-mode key/);
    }
  });

  it("refuses keys that are not secret test keys, and malformed settings", () => {
    expect(() => chooseStripeTarget({ STRIPE_SECRET_KEY: "rk_test_abc", STRIPE_WEBHOOK_SECRET: "whsec_def" })).toThrow(/sk_test_/);
    expect(() => chooseStripeTarget({ STRIPE_SECRET_KEY: "sk_test_abc", STRIPE_WEBHOOK_SECRET: "secret" })).toThrow(/whsec_/);
    expect(() => chooseStripeTarget({ STRIPE_API_BASE: "not a url" })).toThrow(/not a URL/);
    expect(() => chooseStripeTarget({ STRIPE_SECRET_KEY: "sk_test_abc", STRIPE_WEBHOOK_SECRET: "whsec_def", STRIPE_LISTEN_PORT: "99999" })).toThrow(/not a port/);
  });
});
