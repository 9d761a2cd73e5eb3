import type Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { type StripeEmulator } from "./index";
import {
  PUBLISHABLE_KEY,
  cardParams,
  caught,
  confirmationTokenFor,
  field,
  formBody,
  rawRequest,
  startEmulatorForFile,
} from "./test-helpers";

let emulator: StripeEmulator;
let stripe: Stripe;
startEmulatorForFile({}, (started, client) => {
  emulator = started;
  stripe = client;
});

/** `POST /v1/payment_methods` as Stripe.js's createPaymentMethod sends it, with the publishable key. */
function createPaymentMethod(card: Record<string, string>, extra: Record<string, unknown> = {}) {
  return rawRequest(emulator, "POST", "/v1/payment_methods", { apiKey: PUBLISHABLE_KEY, body: formBody({ type: "card", card, ...extra }) });
}

// docs.stripe.com/testing#cards: brand, funding and last four of the numbers a customer types.
const CARDS = [
  { number: "4242424242424242", brand: "visa", funding: "credit", last4: "4242" },
  { number: "4000056655665556", brand: "visa", funding: "debit", last4: "5556" },
  { number: "5555555555554444", brand: "mastercard", funding: "credit", last4: "4444" },
  { number: "378282246310005", brand: "amex", funding: "credit", last4: "0005" },
] as const;

describe("PaymentMethods from card numbers", () => {
  it.each(CARDS)("$number is a $funding $brand card ending $last4", async ({ number, brand, funding, last4 }) => {
    const response = await createPaymentMethod(cardParams(number), { billing_details: { address: { postal_code: "94103" }, name: "Jo Doe" } });

    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      object: "payment_method",
      type: "card",
      livemode: false,
      card: { brand, funding, last4, country: "US", exp_month: 12, exp_year: new Date().getUTCFullYear() + 3 },
      billing_details: { name: "Jo Doe", address: { postal_code: "94103", country: null } },
    });
    expect(String(field(response.json, "id"))).toMatch(/^pm_\w{24}$/);
    // Only the last four digits are kept.
    expect(response.text).not.toContain(number);
  });

  it("gives the same card the same fingerprint, whichever way it was made", async () => {
    const typed = await createPaymentMethod(cardParams("4242424242424242"));
    const paid = await stripe.paymentIntents.create({
      amount: 1000,
      currency: "usd",
      payment_method: "pm_card_visa",
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: "never" },
      expand: ["payment_method"],
    });
    const fromToken = paid.payment_method as Stripe.PaymentMethod;
    expect(field(typed.json, "card", "fingerprint")).toBe(fromToken.card?.fingerprint);
  });

  it("can pay: a test card number behaves as its pm_card_… token", async () => {
    const created = await createPaymentMethod(cardParams("4000000000009995"));
    const error = await caught(() =>
      stripe.paymentIntents.create({
        amount: 1000,
        currency: "usd",
        payment_method: String(field(created.json, "id")),
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: "never" },
      }),
    );
    expect(error).toMatchObject({ statusCode: 402, code: "card_declined", decline_code: "insufficient_funds" });
  });

  // docs.stripe.com/testing#invalid-data: what Stripe answers for card data it cannot use.
  it.each<{ case: string; card: Record<string, string>; code: string; param: string; message: string }>([
    { case: "a number failing the Luhn check", card: { number: "4242424242424241" }, code: "incorrect_number", param: "number", message: "Your card number is incorrect." },
    { case: "a number too short", card: { number: "4242" }, code: "invalid_number", param: "number", message: "The card number is not a valid credit card number." },
    { case: "month 13", card: { exp_month: "13" }, code: "invalid_expiry_month", param: "exp_month", message: "Your card's expiration month is invalid." },
    { case: "a year in the past", card: { exp_year: "1970" }, code: "invalid_expiry_year", param: "exp_year", message: "Your card's expiration year is invalid." },
    { case: "a two-digit CVC", card: { cvc: "99" }, code: "invalid_cvc", param: "cvc", message: "Your card's security code is invalid." },
    { case: "an empty CVC", card: { cvc: "" }, code: "invalid_cvc", param: "cvc", message: "Your card's security code is invalid." },
    { case: "a three-digit CVC on an Amex", card: { number: "378282246310005", cvc: "123" }, code: "invalid_cvc", param: "cvc", message: "Your card's security code is invalid." },
  ])("answers $case with the card error $code", async ({ card, code, param, message }) => {
    const response = await createPaymentMethod({ ...cardParams("4242424242424242"), ...card });

    expect(response.status).toBe(402);
    expect(response.json).toEqual({
      error: { type: "card_error", code, param, message, doc_url: `https://stripe.com/docs/error-codes/${code.replaceAll("_", "-")}` },
    });
  });

  it("answers a month already past this year as an invalid month", async () => {
    const now = new Date();
    if (now.getUTCMonth() === 0) return; // no month of this year is past in January
    const response = await createPaymentMethod({ ...cardParams("4242424242424242"), exp_month: "1", exp_year: String(now.getUTCFullYear()) });
    expect(response.status).toBe(402);
    expect(response.json).toMatchObject({ error: { code: "invalid_expiry_month", param: "exp_month" } });
  });

  it("takes a card without CVC, which Stripe's API leaves optional", async () => {
    const { cvc: _cvc, ...withoutCvc } = cardParams("4242424242424242");
    expect((await createPaymentMethod(withoutCvc)).status).toBe(200);
  });

  it("refuses a real card number, as test mode does", async () => {
    const response = await createPaymentMethod(cardParams("4111111111111111"));

    expect(response.status).toBe(402);
    expect(response.json).toMatchObject({
      error: {
        type: "card_error",
        code: "card_declined",
        decline_code: "test_mode_live_card",
        message:
          "Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing.",
      },
    });
  });

  it.each([
    { body: formBody({ card: cardParams("4242424242424242") }), param: "type", code: "parameter_missing" },
    { body: formBody({ type: "card" }), param: "card", code: "parameter_missing" },
    { body: formBody({ type: "card", card: { exp_month: "12", exp_year: "2040" } }), param: "card[number]", code: "parameter_missing" },
    { body: formBody({ type: "card", card: { ...cardParams("4242424242424242"), token: "tok_visa" } }), param: "card[token]", code: "parameter_unknown" },
  ])("refuses parameters it lacks or does not know: $param", async ({ body, param, code }) => {
    const response = await rawRequest(emulator, "POST", "/v1/payment_methods", { apiKey: PUBLISHABLE_KEY, body });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ error: { type: "invalid_request_error", param, code } });
  });

  it("refuses other payment method types", async () => {
    const response = await rawRequest(emulator, "POST", "/v1/payment_methods", { apiKey: PUBLISHABLE_KEY, body: formBody({ type: "sepa_debit" }) });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ error: { param: "type" } });
  });
});

describe("ConfirmationTokens", () => {
  it("has Stripe's shape: a preview of the card, the return_url, use_stripe_sdk", async () => {
    const before = Math.floor(Date.now() / 1000);
    const id = await confirmationTokenFor(emulator, "4000056655665556", { return_url: "https://shop.example/return?order=7" });

    const token = await stripe.confirmationTokens.retrieve(id);

    expect(id).toMatch(/^ctoken_\w{24}$/);
    expect(token).toMatchObject({
      id,
      object: "confirmation_token",
      livemode: false,
      payment_intent: null,
      setup_intent: null,
      return_url: "https://shop.example/return?order=7",
      use_stripe_sdk: true,
      shipping: null,
      setup_future_usage: null,
      payment_method_preview: {
        type: "card",
        billing_details: { address: { postal_code: "10115" }, email: null, name: null },
        card: {
          brand: "visa",
          display_brand: "visa",
          last4: "5556",
          funding: "debit",
          country: "US",
          exp_month: 12,
          exp_year: new Date().getUTCFullYear() + 3,
          networks: { available: ["visa"], preferred: null },
          three_d_secure_usage: { supported: true },
          wallet: null,
        },
      },
    });
    expect(token.created).toBeGreaterThanOrEqual(before);
    expect(token.expires_at).toBe(token.created + 12 * 60 * 60);
  });

  it("answers invalid card data with the card error, and makes no token", async () => {
    const response = await rawRequest(emulator, "POST", "/v1/confirmation_tokens", {
      apiKey: PUBLISHABLE_KEY,
      body: formBody({ payment_method_data: { type: "card", card: cardParams("4000000000000003") } }),
    });
    expect(response.status).toBe(402);
    expect(response.json).toMatchObject({ error: { type: "card_error", code: "incorrect_number", param: "number" } });
  });

  it.each([
    { body: formBody({ return_url: "https://shop.example/return" }), param: "payment_method_data", status: 400 },
    { body: formBody({ payment_method_data: { type: "card", card: cardParams("4242424242424242") }, return_url: "not a url" }), param: "return_url", status: 400 },
    { body: formBody({ payment_method_data: { type: "card", card: cardParams("4242424242424242") }, shipping: { name: "x" } }), param: "shipping", status: 400 },
  ])("refuses a request without card data, with a bad return_url or unknown parameters ($param)", async ({ body, param, status }) => {
    const response = await rawRequest(emulator, "POST", "/v1/confirmation_tokens", { apiKey: PUBLISHABLE_KEY, body });
    expect(response.status).toBe(status);
    expect(response.json).toMatchObject({ error: { type: "invalid_request_error", param } });
  });

  it("answers an unknown id as Stripe does", async () => {
    const error = await caught(() => stripe.confirmationTokens.retrieve("ctoken_unknown"));
    expect(error).toMatchObject({ statusCode: 404, code: "resource_missing", message: "No such confirmationtoken: 'ctoken_unknown'" });
  });

  it("is made server-side by the test helper, from a test PaymentMethod", async () => {
    const token = await stripe.testHelpers.confirmationTokens.create({ payment_method: "pm_card_amex", return_url: "https://shop.example/done" });
    expect(token).toMatchObject({
      object: "confirmation_token",
      return_url: "https://shop.example/done",
      payment_method_preview: { card: { brand: "amex", display_brand: "american_express", last4: "8431" } },
    });
  });
});
