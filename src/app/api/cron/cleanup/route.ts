import { env } from "@/env";
import { requireBearerSecret } from "@/server/http/require-bearer-secret";
import { route } from "@/server/http/route";
import { withRoute } from "@/server/http/with-route";
import { cleanupExpiredKeys } from "@/server/ops/cleanup-expired-keys";

export const dynamic = "force-dynamic";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  /**
   * One bounded cleanup run for a hosted scheduler: `Authorization: Bearer $CRON_SECRET`. Paced
   * as `npm run cleanup` is, and within 8 s: inside a host's 10 s request limit.
   */
  GET: withRoute(async ({ request, annotate }) => {
    requireBearerSecret(request, env().CRON_SECRET, "cron");
    const summary = await cleanupExpiredKeys({ maxDurationMs: 8_000 });
    annotate({ cleanup: summary });
    return Response.json(summary);
  }),
});
