import { RefundStatus } from "@prisma/client";
import { describe, expect, it } from "vitest";
import { REFUND_STATUSES, refundResponseSchema } from "@/lib/schemas/refund-response";
import { refundView } from "./refund-view";

describe("refundView", () => {
  it("writes the fields in the schema's order, byte for byte as answers are stored and replayed", () => {
    const view = refundView({
      id: "0b7e0000-0000-4000-8000-000000000002",
      paymentId: "6f1c2a4e-0000-4000-8000-000000000001",
      amount: 500,
      status: "succeeded",
      stripeRefundId: "re_123",
      createdAt: new Date("2026-11-25T12:00:00.000Z"),
    });
    expect(JSON.stringify(view)).toBe(
      '{"id":"0b7e0000-0000-4000-8000-000000000002","paymentId":"6f1c2a4e-0000-4000-8000-000000000001",' +
        '"amount":500,"status":"succeeded","stripeRefundId":"re_123","createdAt":"2026-11-25T12:00:00.000Z"}',
    );
    expect(Object.keys(view)).toEqual(Object.keys(refundResponseSchema.shape));
    expect(refundResponseSchema.strict().parse(view)).toEqual(view);
  });
});

describe("REFUND_STATUSES", () => {
  it("are the database's refund statuses", () => {
    expect([...REFUND_STATUSES].sort()).toEqual(Object.values(RefundStatus).sort());
  });
});
