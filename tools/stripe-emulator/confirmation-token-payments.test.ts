import { randomUUID } from "node:crypto";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { type StripeEmulator, startStripeEmulator } from "./index";
import {
  API_KEY,
  NO_REDIRECTS,
  PUBLISHABLE_KEY,
  cardParams,
  caught,
  confirmationTokenFor,
  field,
  formBody,
  rawRequest,
  startEmulatorForFile,
  stripeFor,
  testTag,
} from "./test-helpers";

let emulator: StripeEmulator;
let stripe: Stripe;
startEmulatorForFile({ asyncSettleMs: null }, (started, client) => {
  emulator = started;
  stripe = client;
});

/** What the page passes to createConfirmationToken, for redirect-based methods. */
const RETURN = { return_url: "https://shop.example/return" };

/** What the app's server does with the token its page sent (docs.stripe.com/payments/finalize-payments-on-the-server). */
function payWith(confirmationToken: string, extra: Partial<Stripe.PaymentIntentCreateParams> = {}, idempotencyKey = randomUUID()) {
  return stripe.paymentIntents.create(
    {
      amount: 2500,
      currency: "usd",
      confirm: true,
      confirmation_token: confirmationToken,
      automatic_payment_methods: { enabled: true },
      expand: ["payment_method"],
      ...extra,
    },
    { idempotencyKey },
  );
}

describe("PaymentIntents confirmed with a ConfirmationToken", () => {
  it("pays with the token's card, which becomes a PaymentMethod; the token is then used", async () => {
    const tag = testTag();
    const token = await confirmationTokenFor(emulator, "4242424242424242", RETURN);

    const intent = await payWith(token, { metadata: tag });

    expect(intent).toMatchObject({ status: "succeeded", amount_received: 2500, next_action: null, last_payment_error: null });
    const paymentMethod = intent.payment_method as Stripe.PaymentMethod;
    expect(paymentMethod).toMatchObject({
      object: "payment_method",
      card: { brand: "visa", last4: "4242" },
      billing_details: { address: { postal_code: "10115" } },
    });
    expect(paymentMethod.id).toMatch(/^pm_/);
    expect(await stripe.confirmationTokens.retrieve(token)).toMatchObject({ payment_intent: intent.id });
    const charge = await stripe.charges.retrieve(String(intent.latest_charge));
    expect(charge).toMatchObject({ status: "succeeded", payment_method: paymentMethod.id, payment_method_details: { card: { last4: "4242" } } });
  });

  it("confirms an existing PaymentIntent with a token too", async () => {
    const open = await stripe.paymentIntents.create({ amount: 1200, currency: "eur", automatic_payment_methods: NO_REDIRECTS });
    const token = await confirmationTokenFor(emulator, "5555555555554444");

    const paid = await stripe.paymentIntents.confirm(open.id, { confirmation_token: token });

    expect(paid).toMatchObject({ id: open.id, status: "succeeded" });
    expect((await stripe.paymentMethods.retrieve(String(paid.payment_method))).card).toMatchObject({ brand: "mastercard", last4: "4444" });
  });

  // docs.stripe.com/testing#declined-payments, as the pm_card_… tokens of the same cards answer.
  it.each([
    { number: "4000000000000002", code: "card_declined", decline_code: "generic_decline" },
    { number: "4000000000009995", code: "card_declined", decline_code: "insufficient_funds" },
    { number: "4000000000009987", code: "card_declined", decline_code: "lost_card" },
    { number: "4000000000009979", code: "card_declined", decline_code: "stolen_card" },
    { number: "4100000000000019", code: "card_declined", decline_code: "fraudulent" },
    { number: "4000000000000069", code: "expired_card", decline_code: "expired_card" },
    { number: "4000000000000127", code: "incorrect_cvc", decline_code: "incorrect_cvc" },
    { number: "4000000000000119", code: "processing_error", decline_code: "processing_error" },
    { number: "4111111111111111", code: "card_declined", decline_code: "test_mode_live_card" },
  ])("declines $number with $code / $decline_code", async ({ number, code, decline_code }) => {
    const tag = testTag();
    const token = await confirmationTokenFor(emulator, number, RETURN);

    const error = await caught(() => payWith(token, { metadata: tag }));

    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({ statusCode: 402, code, decline_code });
    const [intent] = emulator.paymentIntents({ metadata: tag });
    expect(intent).toMatchObject({ status: "requires_payment_method", last_payment_error: { type: "card_error", code, decline_code } });
    expect(emulator.events({ type: "payment_intent.payment_failed" }).some((event) => event.data.object.id === intent?.id)).toBe(true);
  });

  it("opens a dispute after a 4000000000000259 payment, as its token would", async () => {
    const intent = await payWith(await confirmationTokenFor(emulator, "4000000000000259", RETURN));
    emulator.settle(intent.id);
    expect(emulator.disputes({ payment_intent: intent.id })).toMatchObject([{ reason: "fraudulent", status: "needs_response" }]);
  });

  it.each(["4000002760003184", "4000000000003220"])(
    "asks %s for 3D Secure through Stripe.js (use_stripe_sdk), even with a return_url",
    async (number) => {
      const token = await confirmationTokenFor(emulator, number, RETURN);

      const intent = await payWith(token);

      expect(intent.status).toBe("requires_action");
      expect(intent.next_action).toMatchObject({
        type: "use_stripe_sdk",
        use_stripe_sdk: { type: "three_d_secure_redirect", source: expect.stringMatching(/^src_/) },
      });
      const challenge = new URL(String(field(intent.next_action, "use_stripe_sdk", "stripe_js")));
      expect(`${challenge.origin}${challenge.pathname}`).toBe(`${emulator.url}/3d_secure_2/hosted`);
      expect(challenge.searchParams.get("payment_intent")).toBe(intent.id);
      expect(challenge.searchParams.get("source")).toBe(field(intent.next_action, "use_stripe_sdk", "source"));
      expect(emulator.events({ type: "payment_intent.requires_action" }).some((event) => event.data.object.id === intent.id)).toBe(true);

      // The admin shortcut of the tests still completes it.
      expect(emulator.authenticatePaymentIntent(intent.id, "succeed")).toMatchObject({ status: "succeeded", next_action: null });
    },
  );

  it("redirects (redirect_to_url) when confirmed with a return_url and without use_stripe_sdk", async () => {
    const created = await rawRequest(emulator, "POST", "/v1/payment_methods", {
      apiKey: PUBLISHABLE_KEY,
      body: formBody({ type: "card", card: cardParams("4000002760003184") }),
    });
    const intent = await stripe.paymentIntents.create({
      amount: 2500,
      currency: "usd",
      confirm: true,
      payment_method: String(field(created.json, "id")),
      return_url: "https://shop.example/return?order=42",
    });

    expect(intent.status).toBe("requires_action");
    expect(intent.next_action).toEqual({
      type: "redirect_to_url",
      redirect_to_url: { return_url: "https://shop.example/return?order=42", url: expect.stringMatching(/\/3d_secure_2\/hosted\?/) },
    });

    const token = await confirmationTokenFor(emulator, "4000000000003220", RETURN);
    const fromToken = await payWith(token, { use_stripe_sdk: false });
    expect(fromToken.next_action?.type).toBe("redirect_to_url");
  });

  it("needs a return_url when redirects are allowed, from the token or the request", async () => {
    const withoutReturnUrl = await confirmationTokenFor(emulator, "4242424242424242");
    const error = await caught(() => payWith(withoutReturnUrl));
    expect(error).toMatchObject({ statusCode: 400, message: expect.stringContaining("return_url") });

    const paid = await payWith(withoutReturnUrl, RETURN);
    expect(paid.status).toBe("succeeded");
  });
});

describe("ConfirmationTokens Stripe refuses", () => {
  it("refuses a token already used, even by another PaymentIntent, and leaves the first payment alone", async () => {
    const token = await confirmationTokenFor(emulator, "4242424242424242", RETURN);
    const first = await payWith(token);

    const again = await caught(() => payWith(token));

    expect(again).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(again).toMatchObject({
      statusCode: 400,
      param: "confirmation_token",
      message: expect.stringContaining(`already been used to confirm PaymentIntent ${first.id}`),
    });
    expect(await stripe.paymentIntents.retrieve(first.id)).toMatchObject({ status: "succeeded" });
  });

  it("refuses an unknown token with 404 resource_missing", async () => {
    const error = await caught(() => payWith("ctoken_doesnotexist"));
    expect(error).toMatchObject({
      statusCode: 404,
      code: "resource_missing",
      param: "confirmation_token",
      message: "No such confirmationtoken: 'ctoken_doesnotexist'",
    });
  });

  it("refuses a token together with a payment_method", async () => {
    const token = await confirmationTokenFor(emulator, "4242424242424242");
    const error = await caught(() => payWith(token, { payment_method: "pm_card_visa", return_url: "https://shop.example/return" }));
    expect(error).toMatchObject({
      statusCode: 400,
      param: "confirmation_token",
      message: "You may only specify one of these parameters: confirmation_token, payment_method.",
    });
    // Refused before anything happened: the token is still good.
    expect(await stripe.confirmationTokens.retrieve(token)).toMatchObject({ payment_intent: null });
  });

  it("refuses a token without confirm=true", async () => {
    const token = await confirmationTokenFor(emulator, "4242424242424242");
    const error = await caught(() => stripe.paymentIntents.create({ amount: 2500, currency: "usd", confirmation_token: token }));
    expect(error).toMatchObject({ statusCode: 400, param: "confirmation_token" });
  });

  it("refuses a token past its expires_at", async () => {
    let offsetMs = 0;
    const clocked = await startStripeEmulator({ now: () => Date.now() + offsetMs });
    try {
      const token = await confirmationTokenFor(clocked, "4242424242424242", RETURN);
      offsetMs = 12 * 60 * 60 * 1000 + 1000;
      const error = await caught(() =>
        stripeFor(clocked).paymentIntents.create({ amount: 2500, currency: "usd", confirm: true, confirmation_token: token }),
      );
      expect(error).toMatchObject({ statusCode: 400, param: "confirmation_token", message: expect.stringContaining("expired") });
    } finally {
      await clocked.close();
    }
  });

  it("still replays an idempotent retry of the request that used the token", async () => {
    const tag = testTag();
    const token = await confirmationTokenFor(emulator, "4242424242424242", RETURN);
    const key = randomUUID();

    const first = await payWith(token, { metadata: tag }, key);
    const retry = await payWith(token, { metadata: tag }, key);

    expect(retry.id).toBe(first.id);
    expect(retry.lastResponse.headers["idempotent-replayed"]).toBe("true");
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(1);

    // A declined attempt is replayed as its 402, too.
    const declinedKey = randomUUID();
    const declinedToken = await confirmationTokenFor(emulator, "4000000000000002", RETURN);
    const declined = await caught(() => payWith(declinedToken, {}, declinedKey));
    const replayed = await caught(() => payWith(declinedToken, {}, declinedKey));
    expect(replayed).toMatchObject({ statusCode: 402, decline_code: "generic_decline", headers: { "idempotent-replayed": "true" } });
    expect(field(replayed, "payment_intent", "id")).toBe(field(declined, "payment_intent", "id"));
  });

  it("keeps tokens to their account", async () => {
    const token = await confirmationTokenFor(emulator, "4242424242424242", RETURN);
    const other = stripeFor(emulator, { apiKey: `${API_KEY}_other` });
    const error = await caught(() =>
      other.paymentIntents.create({ amount: 2500, currency: "usd", confirm: true, confirmation_token: token }),
    );
    expect(error).toMatchObject({ statusCode: 404, code: "resource_missing" });
  });
});
