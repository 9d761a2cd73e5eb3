import { env } from "@/env";
import { openApiDocument } from "@/lib/openapi/document";
import { route } from "@/server/http/route";
import { withRoute } from "@/server/http/with-route";

export const dynamic = "force-dynamic";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  /** The OpenAPI 3.1 document of this API, with this deployment's key policy (TTL, lock timeout). */
  GET: withRoute(async () => {
    const { IDEMPOTENCY_TTL, IDEMPOTENCY_LOCK_TIMEOUT } = env();
    const document = openApiDocument({ policy: { ttlSeconds: IDEMPOTENCY_TTL, lockTimeoutSeconds: IDEMPOTENCY_LOCK_TIMEOUT } });
    return Response.json(document, { headers: { "Cache-Control": "public, max-age=300" } });
  }),
});
