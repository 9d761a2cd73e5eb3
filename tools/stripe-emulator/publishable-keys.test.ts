import Stripe from "stripe";
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
  stripeFor,
  testTag,
} from "./test-helpers";

let emulator: StripeEmulator;
let stripe: Stripe;
startEmulatorForFile({}, (started, client) => {
  emulator = started;
  stripe = client;
});

const REFUSED =
  "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.";

describe("publishable keys", () => {
  it("reads a PaymentIntent of its account with the client secret, in the fields a browser gets", async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1500, currency: "usd", metadata: testTag(), description: "Order 9" });
    const query = new URLSearchParams({ client_secret: intent.client_secret ?? "" });

    const response = await rawRequest(emulator, "GET", `/v1/payment_intents/${intent.id}?${query.toString()}`, { apiKey: PUBLISHABLE_KEY });

    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      id: intent.id,
      object: "payment_intent",
      amount: 1500,
      currency: "usd",
      status: "requires_payment_method",
      client_secret: intent.client_secret,
      description: "Order 9",
      next_action: null,
      last_payment_error: null,
    });
    // Metadata and charges are the merchant's: Stripe leaves them out for a publishable key.
    expect(response.json).not.toHaveProperty("metadata");
    expect(response.json).not.toHaveProperty("latest_charge");
  });

  it.each([
    ["a wrong client secret", "pi_other_secret_nope"],
    ["no client secret", null],
  ])("answers %s with 404 resource_missing, as for an unknown id", async (_case, secret) => {
    const intent = await stripe.paymentIntents.create({ amount: 1500, currency: "usd" });
    const query = secret === null ? "" : `?client_secret=${secret}`;

    const response = await rawRequest(emulator, "GET", `/v1/payment_intents/${intent.id}${query}`, { apiKey: PUBLISHABLE_KEY });

    expect(response.status).toBe(404);
    expect(response.json).toMatchObject({
      error: { type: "invalid_request_error", code: "resource_missing", message: `No such payment_intent: '${intent.id}'` },
    });
  });

  it("belongs to the account of the secret key with the same suffix, and to no other", async () => {
    const intent = await stripe.paymentIntents.create({ amount: 1500, currency: "usd" });
    const query = `?client_secret=${intent.client_secret ?? ""}`;

    const otherAccount = await rawRequest(emulator, "GET", `/v1/payment_intents/${intent.id}${query}`, { apiKey: "pk_test_someone_else" });

    expect(otherAccount.status).toBe(404);
    // The secret key still reads it whole, client secret or not.
    expect(await stripe.paymentIntents.retrieve(intent.id)).toMatchObject({ id: intent.id, metadata: {} });
  });

  it("refuses what only a secret key may call with Stripe's 401", async () => {
    const browser = stripeFor(emulator, { apiKey: PUBLISHABLE_KEY });
    const intent = await stripe.paymentIntents.create({ amount: 1500, currency: "usd", payment_method: "pm_card_visa", confirm: true, automatic_payment_methods: { enabled: true, allow_redirects: "never" } });
    const token = await confirmationTokenFor(emulator, "4242424242424242");

    const calls: Array<[string, () => Promise<unknown>]> = [
      ["create a PaymentIntent", () => browser.paymentIntents.create({ amount: 1000, currency: "usd" })],
      ["list PaymentIntents", () => browser.paymentIntents.list()],
      ["confirm a PaymentIntent", () => browser.paymentIntents.confirm(intent.id, { payment_method: "pm_card_visa" })],
      ["refund", () => browser.refunds.create({ payment_intent: intent.id })],
      ["read a charge", () => browser.charges.retrieve(String(intent.latest_charge))],
      ["list events", () => browser.events.list()],
      ["read a ConfirmationToken", () => browser.confirmationTokens.retrieve(token)],
      ["make a test ConfirmationToken", () => browser.testHelpers.confirmationTokens.create({ payment_method: "pm_card_visa" })],
    ];
    for (const [what, call] of calls) {
      const error = await caught(call);
      expect(error, what).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
      expect(error, what).toMatchObject({ statusCode: 401, message: REFUSED });
    }
    expect(await stripe.refunds.list({ payment_intent: intent.id })).toMatchObject({ data: [] });
  });

  it("makes PaymentMethods and ConfirmationTokens, which the secret key then sees", async () => {
    const paymentMethod = await rawRequest(emulator, "POST", "/v1/payment_methods", {
      apiKey: PUBLISHABLE_KEY,
      body: formBody({ type: "card", card: cardParams("5555555555554444") }),
    });
    expect(paymentMethod.status).toBe(200);
    const id = String(field(paymentMethod.json, "id"));
    expect(await stripe.paymentMethods.retrieve(id)).toMatchObject({ id, card: { brand: "mastercard", last4: "4444" } });

    const token = await confirmationTokenFor(emulator, "4242424242424242");
    expect(await stripe.confirmationTokens.retrieve(token)).toMatchObject({ id: token, payment_intent: null });
  });

  it("refuses a live or malformed key as an invalid key", async () => {
    for (const apiKey of ["pk_live_abcdefghijklmnop", "pk_nothing"]) {
      const response = await rawRequest(emulator, "POST", "/v1/confirmation_tokens", { apiKey, body: "" });
      expect(response.status).toBe(401);
      expect(field(response.json, "error", "message")).toMatch(/^Invalid API Key provided: /);
      expect(response.text).not.toContain(apiKey);
    }
  });
});

describe("CORS, as api.stripe.com answers browsers", () => {
  it("answers a preflight without a key", async () => {
    const response = await fetch(`${emulator.url}/v1/confirmation_tokens`, {
      method: "OPTIONS",
      headers: {
        Origin: "http://shop.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
      },
    });

    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
    expect(response.headers.get("access-control-max-age")).toBe("300");
  });

  it("allows any origin to read answers, errors included, and their request id", async () => {
    const ok = await rawRequest(emulator, "GET", "/v1/payment_intents/pi_unknown?client_secret=x", {
      apiKey: PUBLISHABLE_KEY,
      headers: { Origin: "http://shop.example" },
    });
    expect(ok.status).toBe(404);
    expect(ok.headers.get("access-control-allow-origin")).toBe("*");
    expect(ok.headers.get("access-control-expose-headers")).toContain("Request-Id");
  });
});
