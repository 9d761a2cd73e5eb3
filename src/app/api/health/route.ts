import { db } from "@/server/db";
import { withRoute } from "@/server/http/with-route";

export const dynamic = "force-dynamic";

/** Liveness with a real database round trip: 200 when PostgreSQL answers, 503 otherwise. */
export const GET = withRoute(async () => {
  await db().$queryRaw`SELECT 1`;
  return Response.json({ status: "ok" }, { headers: { "Cache-Control": "no-store" } });
});
