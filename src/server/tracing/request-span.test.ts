import { describe, expect, it } from "vitest";
import { requestSpanAttributes } from "./request-span";

const summary = { method: "POST", pathname: "/api/payments", status: 201, requestId: "req_0123456789abcdef" };

describe("requestSpanAttributes", () => {
  it("names the span method and route template, with the HTTP and payments attributes", () => {
    expect(requestSpanAttributes({ ...summary, userId: "user-1", idempotency: "created" })).toEqual({
      name: "POST /api/payments",
      attributes: {
        "http.request.method": "POST",
        "http.route": "/api/payments",
        "http.response.status_code": 201,
        "payments.request_id": "req_0123456789abcdef",
        "enduser.id": "user-1",
        "payments.idempotency.outcome": "created",
      },
      failed: false,
    });
  });

  it("uses the route template, never the raw path, so ids stay out of span names", () => {
    const { name, attributes } = requestSpanAttributes({ ...summary, method: "GET", pathname: "/api/payments/pay_8f3a/refunds/re_1" });
    expect(name).toBe("GET /api/payments/:id/refunds/:refundId");
    expect(attributes["http.route"]).toBe("/api/payments/:id/refunds/:refundId");
    expect(requestSpanAttributes({ ...summary, pathname: "/wp-admin/setup.php" }).name).toBe("POST other");
  });

  it("calls a method HTTP does not define _OTHER", () => {
    const { name, attributes } = requestSpanAttributes({ ...summary, method: "BREW" });
    expect(name).toBe("_OTHER /api/payments");
    expect(attributes["http.request.method"]).toBe("_OTHER");
  });

  it("leaves out the user and the outcome when the request has none", () => {
    const { attributes } = requestSpanAttributes({ ...summary, status: 401 });
    expect(attributes).not.toHaveProperty("enduser.id");
    expect(attributes).not.toHaveProperty("payments.idempotency.outcome");
  });

  it("marks only a 5xx failed, with the status as error.type; a 4xx is the caller's", () => {
    expect(requestSpanAttributes({ ...summary, status: 409 })).toMatchObject({ failed: false });
    expect(requestSpanAttributes({ ...summary, status: 409 }).attributes).not.toHaveProperty("error.type");
    const failed = requestSpanAttributes({ ...summary, status: 503 });
    expect(failed.failed).toBe(true);
    expect(failed.attributes["error.type"]).toBe("503");
    expect(failed.attributes["http.response.status_code"]).toBe(503);
  });
});
