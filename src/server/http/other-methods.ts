import "server-only";
import { ApiError } from "./api-error";
import { withRoute } from "./with-route";

/** Any route's params: these handlers ignore them, and must fit every route's signature. */
type AnyParams = Record<string, string | string[]>;

/**
 * Route handlers for the methods a route does not serve, to export beside its real ones.
 * Without them Next.js answers such a method with a bare 405: no body, no `Allow` (which
 * RFC 9110 requires) and no X-Request-Id. These answer the API's problem+json
 * (`method_not_allowed`) instead, and OPTIONS lists only the methods that exist (Next.js's
 * automatic OPTIONS would now list PUT, PATCH and DELETE too).
 */
export function otherMethods(served: readonly ("GET" | "POST")[]) {
  const allow = [...served, ...(served.includes("GET") ? ["HEAD"] : []), "OPTIONS"].join(", ");
  const refuse = withRoute<AnyParams>(async ({ request }) => {
    throw new ApiError("method_not_allowed", `${request.method} is not supported here; use ${served.join(" or ")}.`, {
      headers: { Allow: allow },
    });
  });
  const options = withRoute<AnyParams>(async () => new Response(null, { status: 204, headers: { Allow: allow } }));
  // A route exports (destructures) only the ones it does not serve itself.
  return { GET: refuse, POST: refuse, PUT: refuse, PATCH: refuse, DELETE: refuse, OPTIONS: options };
}
