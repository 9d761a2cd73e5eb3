import { PaymentStatus } from "@prisma/client";
import { describe, expect, it } from "vitest";
import { PAYMENT_STATUSES, paymentResponseSchema } from "@/lib/schemas/payment-response";
import { paymentView } from "./payment-view";

const ROW = {
  id: "6f1c2a4e-0000-4000-8000-000000000001",
  status: "succeeded",
  amount: 2_500,
  currency: "eur",
  description: "Order 42",
  stripePaymentIntentId: "pi_123",
  failureCode: null,
  amountRefunded: 0,
  createdAt: new Date("2026-11-25T12:00:00.000Z"),
} as const;

describe("paymentView", () => {
  it("writes the fields in the schema's order, byte for byte as answers are stored and replayed", () => {
    const view = paymentView(ROW);
    expect(JSON.stringify(view)).toBe(
      '{"id":"6f1c2a4e-0000-4000-8000-000000000001","status":"succeeded","amount":2500,"currency":"eur",' +
        '"description":"Order 42","card":null,"paymentIntentId":"pi_123","failureCode":null,"amountRefunded":0,' +
        '"amountRefundFailed":0,"dispute":null,"createdAt":"2026-11-25T12:00:00.000Z"}',
    );
    const schemaOrder = Object.keys(paymentResponseSchema.shape).filter((key) => key !== "clientSecret");
    expect(Object.keys(view)).toEqual(schemaOrder);
    expect(paymentResponseSchema.strict().parse(view)).toEqual(view);
  });

  it("names the client secret, in its place, only when given one", () => {
    const view = paymentView({ ...ROW, status: "requires_action" }, "pi_123_secret_abc");
    expect(Object.keys(view)).toEqual(Object.keys(paymentResponseSchema.shape));
    expect(view.clientSecret).toBe("pi_123_secret_abc");
    expect(paymentView(ROW, null)).not.toHaveProperty("clientSecret");
  });

  it("shows the card when both its brand and last four are known", () => {
    expect(paymentView({ ...ROW, cardBrand: "visa", cardLast4: "4242" }).card).toEqual({ brand: "visa", last4: "4242" });
    expect(paymentView({ ...ROW, cardBrand: "visa", cardLast4: null }).card).toBeNull();
    expect(paymentView({ ...ROW, cardBrand: null, cardLast4: "4242" }).card).toBeNull();
  });

  it("shows a dispute and failed refunds from the columns added later", () => {
    const view = paymentView({
      ...ROW,
      amountRefundFailed: 500,
      disputeId: "dp_1",
      disputeStatus: "needs_response",
      disputeReason: "fraudulent",
      disputeAmount: 2_500,
    });
    expect(view).toMatchObject({ amountRefundFailed: 500, dispute: { id: "dp_1", status: "needs_response", reason: "fraudulent", amount: 2_500 } });
    expect(paymentResponseSchema.strict().parse(view)).toEqual(view);
  });
});

describe("PAYMENT_STATUSES", () => {
  it("are the database's payment statuses", () => {
    expect([...PAYMENT_STATUSES].sort()).toEqual(Object.values(PaymentStatus).sort());
  });
});
