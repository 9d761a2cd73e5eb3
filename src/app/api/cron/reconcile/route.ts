import { env, stripeWorstCaseMs } from "@/env";
import { requireBearerSecret } from "@/server/http/require-bearer-secret";
import { route } from "@/server/http/route";
import { withRoute } from "@/server/http/with-route";
import { reconcileStuckKeys } from "@/server/ops/reconcile-stuck-keys";

export const dynamic = "force-dynamic";

/** Keys per run: a scheduler calls again in a few minutes for the rest. */
const KEYS_PER_RUN = 20;
/** Without MAX_REQUEST_SECONDS, as `/api/cron/cleanup`: inside a host's usual 10 s. */
const DEFAULT_BUDGET_MS = 8_000;

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  /**
   * One bounded `npm run reconcile` for a hosted scheduler (`Authorization: Bearer
   * $CRON_SECRET`): finishes up to 20 flagged or abandoned keys from Stripe's records. A key
   * is started only while one more Stripe lookup still fits in the request's time (MAX_REQUEST_SECONDS).
   */
  GET: withRoute(async ({ request }) => {
    const config = env();
    requireBearerSecret(request, config.CRON_SECRET, "cron");
    const budgetMs = config.MAX_REQUEST_SECONDS === undefined ? DEFAULT_BUDGET_MS : config.MAX_REQUEST_SECONDS * 1000;
    const startNoKeyAfter = Date.now() + Math.max(0, budgetMs - stripeWorstCaseMs(config) - 2_000);
    return Response.json(await reconcileStuckKeys({ limit: KEYS_PER_RUN, startNoKeyAfter }));
  }),
});
