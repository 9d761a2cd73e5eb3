import { env, preferWaitCapSeconds } from "@/env";
import { openApiDocument } from "@/lib/openapi/document";
import { route } from "@/server/http/route";
import { withRoute } from "@/server/http/with-route";

export const dynamic = "force-dynamic";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  /** The OpenAPI 3.1 document of this API, with this deployment's key policy (TTL, lock timeout, longest wait). */
  GET: withRoute(async () => {
    const config = env();
    const policy = {
      ttlSeconds: config.IDEMPOTENCY_TTL,
      lockTimeoutSeconds: config.IDEMPOTENCY_LOCK_TIMEOUT,
      maxPreferWaitSeconds: preferWaitCapSeconds(config),
    };
    const document = openApiDocument({ policy });
    return Response.json(document, { headers: { "Cache-Control": "public, max-age=300" } });
  }),
});
