import { afterEach, describe, expect, it, vi } from "vitest";
import { freePort } from "../../scripts/lib/embedded-postgres";

async function loadRoute() {
  return import("@/app/api/health/route");
}

const call = async (GET: Awaited<ReturnType<typeof loadRoute>>["GET"]) =>
  GET(new Request("http://localhost/api/health"), { params: Promise.resolve({}) });

describe("GET /api/health", () => {
  const originalUrl = process.env.DATABASE_URL;
  afterEach(() => {
    process.env.DATABASE_URL = originalUrl;
  });

  it("answers 200 ok after a database round trip, with a request id", async () => {
    const { GET } = await loadRoute();
    const response = await call(GET);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    expect(response.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{24}$/);
  });

  it("answers 503 problem+json with Retry-After when the database is down", async () => {
    vi.resetModules();
    const holder = globalThis as { prisma?: unknown };
    const liveClient = holder.prisma;
    delete holder.prisma;
    const url = new URL(originalUrl!);
    url.port = String(await freePort()); // nothing listens there
    process.env.DATABASE_URL = url.toString();
    try {
      const { GET } = await loadRoute();
      const response = await call(GET);
      expect(response.status).toBe(503);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("retry-after")).toBe("2");
      const body = await response.json();
      expect(body).toMatchObject({ status: 503, code: "service_unavailable", type: "/docs/errors#service_unavailable" });
      expect(body.requestId).toBe(response.headers.get("x-request-id"));
    } finally {
      const deadClient = holder.prisma as { $disconnect(): Promise<void> } | undefined;
      await deadClient?.$disconnect();
      holder.prisma = liveClient;
      vi.resetModules();
    }
  });
});
