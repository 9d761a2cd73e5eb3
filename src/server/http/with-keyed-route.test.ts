import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { apiKeyFor } from "../../../tests/helpers/auth";
import { createUser } from "../../../tests/helpers/database";
import { resourceId } from "./resource-id";
import { withKeyedRoute } from "./with-keyed-route";

/** What the handler saw, answered as JSON. */
const route = withKeyedRoute(
  async ({ params, user, key, waitSeconds, log }) => Response.json({ params, userId: user.id, key, waitSeconds, bindings: log.bindings() }),
  { params: ({ id }: { id: string }) => ({ paymentId: resourceId(id, "No such payment.") }) },
);

const call = (id: string, headers: Record<string, string>) =>
  route(new Request(`http://localhost/api/payments/${id}/refunds`, { method: "POST", headers }), { params: Promise.resolve({ id }) });

describe("withKeyedRoute", () => {
  it("checks the caller first, then the path's params, then the Idempotency-Key", async () => {
    const user = await createUser();
    const authorization = `Bearer ${await apiKeyFor(user.id)}`;
    expect((await call("not-a-uuid", {})).status).toBe(401);
    const notFound = await call("not-a-uuid", { Authorization: authorization });
    expect([notFound.status, (await notFound.json()).code]).toEqual([404, "not_found"]);
    const missing = await call(randomUUID(), { Authorization: authorization });
    expect([missing.status, (await missing.json()).code]).toEqual([400, "idempotency_key_missing"]);
    const invalid = await call(randomUUID(), { Authorization: authorization, "Idempotency-Key": "a, b" });
    expect([invalid.status, (await invalid.json()).code]).toEqual([400, "idempotency_key_invalid"]);
  });

  it("hands the handler the user, the unquoted key, the capped wait and a log bound to the user, and answers no-store", async () => {
    const user = await createUser();
    const id = randomUUID().toUpperCase();
    const response = await call(id, {
      Authorization: `Bearer ${await apiKeyFor(user.id)}`,
      "Idempotency-Key": '"order-1"',
      Prefer: "wait=600",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({
      params: { paymentId: id.toLowerCase() },
      userId: user.id,
      key: "order-1",
      waitSeconds: 10,
      bindings: expect.objectContaining({ requestId: response.headers.get("x-request-id"), userId: user.id }),
    });
  });
});
