import { env } from "@/env";
import { requireBearerSecret } from "@/server/http/require-bearer-secret";
import { withRoute } from "@/server/http/with-route";
import { metrics } from "@/server/ops/metrics";

export const dynamic = "force-dynamic";

/** Prometheus text exposition for this instance: `Authorization: Bearer $METRICS_TOKEN`. */
export const GET = withRoute(async ({ request }) => {
  requireBearerSecret(request, env().METRICS_TOKEN, "metrics");
  const { registry } = metrics();
  return new Response(await registry.metrics(), {
    headers: { "Content-Type": registry.contentType, "Cache-Control": "no-store" },
  });
});
