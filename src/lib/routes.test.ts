import { describe, expect, it } from "vitest";
import { PAYMENTS_PATH, idempotencyKeyPath, paymentPath, refundPath, refundsPath } from "./routes";

// Written out once here: everything else builds the paths from ./routes, so this is where a
// change to the public URLs (and to the paths stored in idempotency keys) shows.
describe("API paths", () => {
  it("are the documented ones", () => {
    expect(PAYMENTS_PATH).toBe("/api/payments");
    expect(paymentPath("6f1c")).toBe("/api/payments/6f1c");
    expect(refundsPath("6f1c")).toBe("/api/payments/6f1c/refunds");
    expect(refundPath("6f1c", "0b7e")).toBe("/api/payments/6f1c/refunds/0b7e");
    expect(idempotencyKeyPath("order-1")).toBe("/api/idempotency-keys/order-1");
    expect(idempotencyKeyPath('a/b?c#d%e "f"')).toBe("/api/idempotency-keys/a%2Fb%3Fc%23d%25e%20%22f%22");
  });
});
