import { randomUUID } from "node:crypto";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_API_VERSION } from "./api-version";
import { type StripeEmulator, startStripeEmulator } from "./index";
import { caught, rawRequest, stripeFor } from "./test-helpers";

let emulator: StripeEmulator;

beforeAll(async () => {
  emulator = await startStripeEmulator();
});

afterAll(async () => {
  await emulator.close();
});

describe("Stripe-Version", () => {
  it("accepts the version stripe-node pins (the app pins the same) and echoes it", async () => {
    expect(Stripe.API_VERSION).toBe(DEFAULT_API_VERSION);
    const intent = await stripeFor(emulator).paymentIntents.create({ amount: 1000, currency: "usd" });
    expect(intent.lastResponse.headers["stripe-version"]).toBe(Stripe.API_VERSION);
  });

  it("answers a request without one in the account's default version", async () => {
    const response = await rawRequest(emulator, "GET", "/v1/payment_intents?limit=1");
    expect(response.status).toBe(200);
    expect(response.headers.get("stripe-version")).toBe(DEFAULT_API_VERSION);
  });

  it.each(["2099-01-01", "2019-2-19", "latest", `${DEFAULT_API_VERSION}, ${DEFAULT_API_VERSION}`])(
    "refuses %s with Stripe's 400 invalid_request_error, storing nothing",
    async (version) => {
      const key = randomUUID();
      const send = (headers: Record<string, string>) =>
        rawRequest(emulator, "POST", "/v1/payment_intents", {
          body: "amount=1000&currency=usd",
          headers: { "Idempotency-Key": key, ...headers },
        });

      const refused = await send({ "Stripe-Version": version });

      expect(refused.status).toBe(400);
      expect(refused.json).toEqual({
        error: { type: "invalid_request_error", message: `Invalid Stripe API version: ${version}` },
      });
      const fixed = await send({ "Stripe-Version": DEFAULT_API_VERSION });
      expect(fixed.status).toBe(200);
      expect(fixed.headers.get("idempotent-replayed")).toBeNull();
    },
  );

  it("surfaces as StripeInvalidRequestError in the SDK", async () => {
    const error = await caught(() => stripeFor(emulator).paymentIntents.list({}, { apiVersion: "2020-08-27" }));
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 400, message: "Invalid Stripe API version: 2020-08-27" });
  });

  it("also accepts the account's default when it differs from the emulator's", async () => {
    const other = await startStripeEmulator({ accountApiVersion: "2025-03-31.basil" });
    try {
      const headerless = await rawRequest(other, "GET", "/v1/payment_intents");
      expect(headerless.headers.get("stripe-version")).toBe("2025-03-31.basil");
      const pinned = await rawRequest(other, "GET", "/v1/payment_intents", { headers: { "Stripe-Version": "2025-03-31.basil" } });
      expect(pinned.status).toBe(200);
      const sdk = await stripeFor(other).paymentIntents.list();
      expect(sdk.lastResponse.headers["stripe-version"]).toBe(Stripe.API_VERSION);
    } finally {
      await other.close();
    }
  });

  it("refuses to start with a malformed account default", async () => {
    await expect(startStripeEmulator({ accountApiVersion: "basil" })).rejects.toThrow(RangeError);
  });
});
