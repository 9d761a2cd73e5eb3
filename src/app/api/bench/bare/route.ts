import { requireUser } from "@/server/auth/require-user";
import { requireBenchRoutes } from "@/server/bench/require-bench-routes";
import { db } from "@/server/db";
import { withRoute } from "@/server/http/with-route";

export const dynamic = "force-dynamic";

/**
 * Benchmark reference only (404 unless BENCH_ROUTES=enabled): an authenticated route doing
 * one indexed read, the floor a replay is compared with.
 */
export const GET = withRoute(async ({ request }) => {
  requireBenchRoutes();
  const user = await requireUser(request);
  const row = await db().user.findUnique({ where: { id: user.id }, select: { id: true } });
  return Response.json({ id: row?.id ?? null });
});
