import { env } from "@/env";
import { requireBearerSecret } from "@/server/http/require-bearer-secret";
import { route } from "@/server/http/route";
import { withRoute } from "@/server/http/with-route";
import { metrics } from "@/server/ops/metrics";

export const dynamic = "force-dynamic";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  /** Prometheus text exposition for this instance: `Authorization: Bearer $METRICS_TOKEN`. */
  GET: withRoute(async ({ request }) => {
    requireBearerSecret(request, env().METRICS_TOKEN, "metrics");
    const { registry } = metrics();
    return new Response(await registry.metrics(), { headers: { "Content-Type": registry.contentType } });
  }),
});
