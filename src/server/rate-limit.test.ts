import { describe, expect, it } from "vitest";
import { db } from "@/server/db";
import { ApiError } from "@/server/http/api-error";
import { withRoute } from "@/server/http/with-route";
import { createUser } from "../../tests/helpers/database";
import { enforceRateLimit } from "./rate-limit";

/** Waits out the end of a clock minute, so that a burst lands in a single fixed window. */
async function awayFromMinuteBoundary() {
  const [{ ms }] = await db().$queryRaw<[{ ms: number }]>`
    SELECT (extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now()) * 1000)::int AS ms`;
  if (ms < 3_000) await new Promise((resolve) => setTimeout(resolve, ms + 100));
}

const outcomes = (results: PromiseSettledResult<void>[]) => ({
  passed: results.filter((r) => r.status === "fulfilled").length,
  limited: results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : [])),
});

describe("enforceRateLimit", () => {
  it("lets exactly N of N+5 concurrent calls through and answers the rest 429 with Retry-After", async () => {
    const user = await createUser();
    const limit = 7;
    await awayFromMinuteBoundary();
    // The calls run at once on separate pool connections, as calls from separate app
    // instances would: nothing in this process orders them, only PostgreSQL does.
    const results = await Promise.allSettled(
      Array.from({ length: limit + 5 }, () => enforceRateLimit(user.id, { action: "payments.create", limitPerMinute: limit })),
    );

    const { passed, limited } = outcomes(results);
    expect(passed).toBe(limit);
    expect(limited).toHaveLength(5);
    for (const error of limited) {
      expect(error).toBeInstanceOf(ApiError);
      const apiError = error as ApiError;
      expect(apiError).toMatchObject({ status: 429, code: "rate_limited", extensions: { limit } });
      const retryAfter = Number(apiError.headers["Retry-After"]);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    const windows = await db().rateLimitWindow.findMany({ where: { userId: user.id } });
    expect(windows).toEqual([expect.objectContaining({ action: "payments.create", count: limit + 5 })]);
  });

  it("counts each user and each action on its own", async () => {
    const alice = await createUser();
    const bob = await createUser();
    await awayFromMinuteBoundary();
    await enforceRateLimit(alice.id, { action: "payments.create", limitPerMinute: 1 });
    await expect(enforceRateLimit(alice.id, { action: "payments.create", limitPerMinute: 1 })).rejects.toBeInstanceOf(ApiError);
    await expect(enforceRateLimit(bob.id, { action: "payments.create", limitPerMinute: 1 })).resolves.toBeUndefined();
    await expect(enforceRateLimit(alice.id, { action: "refunds.create", limitPerMinute: 1 })).resolves.toBeUndefined();
  });

  it("starts a new count in a new window and prunes the user's old windows", async () => {
    const user = await createUser();
    await db().$executeRaw`
      INSERT INTO rate_limit_windows (user_id, action, window_start, count) VALUES
        (${user.id}::uuid, 'payments.create', date_trunc('minute', now()) - interval '1 minute', 999),
        (${user.id}::uuid, 'payments.create', date_trunc('minute', now()) - interval '2 hours', 5),
        (${user.id}::uuid, 'other.action', date_trunc('minute', now()) - interval '2 hours', 5)`;
    await awayFromMinuteBoundary();

    await expect(enforceRateLimit(user.id, { action: "payments.create", limitPerMinute: 1 })).resolves.toBeUndefined();
    const windows = await db().rateLimitWindow.findMany({ where: { userId: user.id }, orderBy: { action: "asc" } });
    expect(windows.map((w) => [w.action, w.count])).toEqual([
      ["other.action", 5],
      ["payments.create", 1],
    ]);
  });

  it("becomes a 429 problem+json with Retry-After through withRoute", async () => {
    const user = await createUser();
    const route = withRoute(async () => {
      await enforceRateLimit(user.id, { action: "test.route", limitPerMinute: 0 });
      return new Response(null, { status: 204 });
    });
    const response = await route(new Request("http://localhost/api/test"), { params: Promise.resolve({}) });
    expect(response.status).toBe(429);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const body = await response.json();
    expect(body).toMatchObject({ status: 429, code: "rate_limited", limit: 0, requestId: response.headers.get("x-request-id") });
  });
});
