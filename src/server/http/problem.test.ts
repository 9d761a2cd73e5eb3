import { describe, expect, it } from "vitest";
import { problemSchema } from "@/lib/schemas/problem";
import { problem } from "./problem";

describe("problem", () => {
  it("writes extensions first, then RFC 9457's members: a stored decline is replayed as this text", () => {
    const body = problem("refund_exceeds_remaining", "Too much.", "req_1", { amountRemaining: 5 });
    expect(JSON.stringify(body)).toBe(
      '{"amountRemaining":5,"type":"/docs/errors#refund_exceeds_remaining","title":"Refund exceeds the amount left to refund",' +
        '"status":400,"detail":"Too much.","code":"refund_exceeds_remaining","retry":"never","requestId":"req_1"}',
    );
    expect(problemSchema.strict().parse(body)).toEqual(body);
  });

  it("takes its status and title from the code", () => {
    expect(problem("idempotency_request_in_progress", "Wait.", "req_2")).toMatchObject({ status: 409, title: expect.any(String) });
  });
});
