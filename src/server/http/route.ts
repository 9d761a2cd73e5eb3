import "server-only";
import { ApiError } from "./api-error";
import { withRoute, type RouteHandler, type RouteParams } from "./with-route";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
type Method = (typeof METHODS)[number];

/**
 * A route's handlers, declared once, with every other method answered as well: export all of
 * them (`export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({ GET: …, POST: … })`).
 * Left to itself Next.js answers a missing method with a bare 405: no body, no `Allow` (which
 * RFC 9110 requires) and no X-Request-Id. These answer the API's problem+json
 * (`method_not_allowed`) with `Allow`, and OPTIONS lists only the methods served (Next.js's
 * automatic OPTIONS would list the refusing ones too). HEAD is Next.js's own, from GET.
 */
export function route<P extends RouteParams>(served: Partial<Record<Method, RouteHandler<P>>>): Record<Method | "OPTIONS", RouteHandler<P>> {
  const names = METHODS.filter((method) => served[method]);
  const allow = [...names, ...(served.GET ? ["HEAD"] : []), "OPTIONS"].join(", ");
  const refuse = withRoute<P>(async ({ request }) => {
    throw new ApiError("method_not_allowed", `${request.method} is not supported here; use ${names.join(" or ")}.`, {
      headers: { Allow: allow },
    });
  });
  return {
    GET: served.GET ?? refuse,
    POST: served.POST ?? refuse,
    PUT: served.PUT ?? refuse,
    PATCH: served.PATCH ?? refuse,
    DELETE: served.DELETE ?? refuse,
    OPTIONS: withRoute<P>(async () => new Response(null, { status: 204, headers: { Allow: allow } })),
  };
}
