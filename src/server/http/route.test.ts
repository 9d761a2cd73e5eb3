import { describe, expect, it } from "vitest";
import { route } from "./route";
import { withRoute, type NoParams, type RouteHandler } from "./with-route";

const call = (handler: RouteHandler<NoParams>, method: string) =>
  handler(new Request("http://localhost/api/things", { method }), { params: Promise.resolve({}) });

describe("route", () => {
  const served = withRoute(async () => Response.json({ ok: true }));

  it("passes the methods it serves through, and answers any other with a 405 problem naming them in Allow", async () => {
    const methods = route({ POST: served, GET: served });
    expect(await (await call(methods.GET, "GET")).json()).toEqual({ ok: true });
    for (const method of ["PUT", "PATCH", "DELETE"] as const) {
      const response = await call(methods[method], method);
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, POST, HEAD, OPTIONS");
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(await response.json()).toEqual({
        type: "/docs/errors#method_not_allowed",
        title: "Method not allowed",
        status: 405,
        detail: `${method} is not supported here; use GET or POST.`,
        code: "method_not_allowed",
        retry: "never",
        requestId: response.headers.get("x-request-id"),
      });
    }
  });

  it("answers OPTIONS with 204 and the methods served, HEAD only beside GET", async () => {
    const options = await call(route({ DELETE: served }).OPTIONS, "OPTIONS");
    expect(options.status).toBe(204);
    expect(options.headers.get("allow")).toBe("DELETE, OPTIONS");
    expect(options.headers.get("x-request-id")).toMatch(/^req_/);
    expect((await call(route({ DELETE: served }).GET, "GET")).headers.get("allow")).toBe("DELETE, OPTIONS");
  });
});
