import { route } from "@/server/http/route";
import { withRoute } from "@/server/http/with-route";
import { checkDatabase } from "@/server/ops/check-database";

export const dynamic = "force-dynamic";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  /** Liveness with a real database round trip: 200 when PostgreSQL answers, 503 otherwise. */
  GET: withRoute(async () => {
    await checkDatabase();
    return Response.json({ status: "ok" });
  }),
});
