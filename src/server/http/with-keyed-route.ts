import "server-only";
import { env, preferWaitCapSeconds } from "@/env";
import { parseIdempotencyKey } from "@/server/idempotency/parse-idempotency-key";
import { parsePreferWait } from "@/server/idempotency/parse-prefer-wait";
import type { NoParams, RouteHandler, RouteParams } from "./with-route";
import { withUser, type UserContext, type UserRouteOptions } from "./with-user";

export type KeyedContext<P> = UserContext<P> & {
  /** The Idempotency-Key, unquoted. */
  key: string;
  /** Seconds a duplicate may wait for the first request (`Prefer: wait`), 0 unless asked. */
  waitSeconds: number;
};

export type KeyedHandler<P> = (ctx: KeyedContext<P>) => Promise<Response>;

/**
 * withUser for a money-moving POST (docs/API.md): after the caller (401) and the path's
 * params, the Idempotency-Key header (400 when missing or malformed) and `Prefer: wait`, all
 * before the handler reads the body, so that a request refused here stores nothing.
 */
export function withKeyedRoute<P extends RouteParams = NoParams>(handler: KeyedHandler<P>): RouteHandler<P>;
export function withKeyedRoute<P extends RouteParams, Q>(handler: KeyedHandler<Q>, options: UserRouteOptions<P, Q>): RouteHandler<P>;
export function withKeyedRoute<P extends RouteParams, Q>(
  handler: KeyedHandler<P | Q>,
  options?: UserRouteOptions<P, Q>,
): RouteHandler<P> {
  const keyed = async (ctx: UserContext<P | Q>) => {
    const { headers } = ctx.request;
    return handler({ ...ctx, key: parseIdempotencyKey(headers), waitSeconds: parsePreferWait(headers, preferWaitCapSeconds(env())) });
  };
  return options ? withUser(keyed, options) : withUser<P>(keyed);
}
