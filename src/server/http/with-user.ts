import "server-only";
import { requireUser, type AuthenticatedUser } from "@/server/auth/require-user";
import { withRoute, type NoParams, type RouteContext, type RouteHandler, type RouteParams } from "./with-route";

export type UserContext<P> = RouteContext<P> & { user: AuthenticatedUser };

export type UserHandler<P> = (ctx: UserContext<P>) => Promise<Response>;

export type UserRouteOptions<P, Q> = {
  /**
   * Reads the path's params once the caller is known, before anything else: e.g. a 404 for
   * an id that names nothing, so that it comes after the 401 and before the request's headers
   * and body are judged.
   */
  params: (raw: P) => Q;
};

/**
 * withRoute for a route of a signed-in caller: the session cookie or API key (requireUser)
 * is checked before anything else runs (401 otherwise), and the user id is on the request's
 * access log line and on every line the handler logs through `log`.
 */
export function withUser<P extends RouteParams = NoParams>(handler: UserHandler<P>): RouteHandler<P>;
export function withUser<P extends RouteParams, Q>(handler: UserHandler<Q>, options: UserRouteOptions<P, Q>): RouteHandler<P>;
export function withUser<P extends RouteParams, Q>(
  handler: UserHandler<P | Q>,
  options?: UserRouteOptions<P, Q>,
): RouteHandler<P> {
  return withRoute<P>(async (ctx) => {
    const user = await requireUser(ctx.request);
    ctx.annotate({ userId: user.id });
    const params = options ? options.params(ctx.params) : ctx.params;
    return handler({ ...ctx, params, user, log: ctx.log.child({ userId: user.id }) });
  });
}
