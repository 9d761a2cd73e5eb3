import Stripe from "stripe";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "@/server/http/api-error";
import { adoptOrRetire, isStoredFailure } from "./stored-failure";

const stored500 = () => new Stripe.errors.StripeAPIError({ message: "An unknown error occurred", type: "api_error", statusCode: 500 });

describe("isStoredFailure", () => {
  it("is a 5xx from Stripe, not a connection error, a 4xx or a decline", () => {
    expect(isStoredFailure(stored500())).toBe(true);
    expect(isStoredFailure(new Stripe.errors.StripeConnectionError({ message: "socket hang up", type: "api_error" }))).toBe(false);
    expect(isStoredFailure(new Stripe.errors.StripeInvalidRequestError({ message: "bad", type: "invalid_request_error", statusCode: 400 }))).toBe(false);
    expect(isStoredFailure(new Stripe.errors.StripeCardError({ message: "declined", type: "card_error", statusCode: 402 }))).toBe(false);
    expect(isStoredFailure(new Error("not Stripe's"))).toBe(false);
  });
});

describe("adoptOrRetire", () => {
  it("adopts what the failed call made, and keeps the key", async () => {
    const retire = vi.fn(async () => {});
    await expect(adoptOrRetire(stored500(), async () => ({ id: "pi_1" }), retire)).resolves.toEqual({ id: "pi_1" });
    expect(retire).not.toHaveBeenCalled();
  });

  it("retires the key when Stripe holds nothing, and answers the failure as transient", async () => {
    const retire = vi.fn(async () => {});
    const error = await adoptOrRetire(stored500(), async () => null, retire).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: "payment_provider_unavailable", status: 503 });
    expect(retire).toHaveBeenCalledOnce();
  });

  it("when the lookup itself fails, in any way, retires nothing and answers transient: the next attempt looks again", async () => {
    for (const lookupFailure of [
      stored500(),
      new Stripe.errors.StripeInvalidRequestError({ message: "bad list", type: "invalid_request_error", statusCode: 400 }),
      new Error("socket closed"),
    ]) {
      const retire = vi.fn(async () => {});
      const error = await adoptOrRetire(stored500(), () => Promise.reject(lookupFailure), retire).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "payment_provider_unavailable", status: 503 });
      expect(retire).not.toHaveBeenCalled();
    }
  });
});
