import "server-only";
import { randomBytes } from "node:crypto";
import type { Span } from "@opentelemetry/api";
import { env } from "@/env";
import type { IdempotencyOutcome } from "@/server/idempotency/with-idempotency";
import { logger, type Logger } from "@/server/logger";
import type { CleanupSummary } from "@/server/ops/cleanup-expired-keys";
import { recordHttpRequest } from "@/server/ops/metrics";
import { describeRequestSpan, inRequestSpan } from "@/server/tracing/request-span";
import { ApiError } from "./api-error";
import { isDatabaseUnavailable } from "./database-unavailable";
import { problem, problemResponse } from "./problem";
import { appOrigin, isCrossSite, needsSameOrigin } from "./same-origin";
import { apiSecurityHeaders } from "./security-headers";

/** The params Next.js hands a route handler: one string per `[segment]`, an array per `[...rest]`. */
export type RouteParams = Record<string, string | string[]>;
/** The params of a route without dynamic segments. */
export type NoParams = Record<string, never>;

/** A route handler as Next.js calls it. */
export type RouteHandler<P extends RouteParams> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;

/**
 * What a request's access log line may carry besides method, path, status and duration: the
 * one place its field names are spelled, for the routes, the engine and the Stripe calls.
 */
export type RequestLogFields = {
  userId?: string;
  apiKeyId?: string;
  /** The idempotency engine's outcome; also counted in the metrics. */
  idempotency?: IdempotencyOutcome;
  stripeOperation?: string;
  stripeRequestId?: string;
  stripeMs?: number;
  stripeEventId?: string | null;
  stripeEventType?: string | null;
  duplicate?: boolean;
  ignored?: string;
  cleanup?: CleanupSummary;
};

/** Adds fields to the request's access log line. */
export type Annotate = (fields: RequestLogFields) => void;

export type RouteContext<P> = {
  request: Request;
  params: P;
  requestId: string;
  log: Logger;
  annotate: Annotate;
};

type Handler<P> = (ctx: RouteContext<P>) => Promise<Response>;

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;
const DB_RETRY_AFTER_SECONDS = 2;

/**
 * Wraps a route handler with what every route needs: a request id (echoed as X-Request-Id),
 * one access log line, the mapping of thrown errors to problem+json, and `Cache-Control:
 * no-store` unless the handler chose otherwise (every answer of this API is per caller or
 * live); all of it inside the request's span (tracing/request-span.ts), whose children are
 * the key store's statements and the Stripe calls. An error that is not an ApiError is logged
 * with the request id and answered as a 500 that leaks nothing. Routes of a signed-in user
 * use withUser, keyed ones withKeyedRoute.
 */
export function withRoute<P extends RouteParams = NoParams>(handler: Handler<P>): RouteHandler<P> {
  const handle = async (request: Request, context: { params: Promise<P> }, span: Span): Promise<Response> => {
    const started = performance.now();
    const incoming = request.headers.get("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : `req_${randomBytes(12).toString("hex")}`;
    const fields: RequestLogFields = {};
    const log = logger().child({ requestId });

    const { pathname } = new URL(request.url);
    let origin: string | null = null;
    let response: Response;
    try {
      const config = env();
      origin = appOrigin(request.headers, config);
      // Before anything else, as a proxy would: a state change another site asked for.
      if (needsSameOrigin(request.method, pathname, request.headers) && (await isCrossSite(request, origin, config))) {
        throw crossSiteRefusal(request, origin, log);
      }
      const params = (await context.params) ?? ({} as P);
      response = await handler({ request, params, requestId, log, annotate: (f) => Object.assign(fields, f) });
    } catch (error) {
      response = errorResponse(error, requestId, log);
    }

    response = withHeaders(response, {
      ...apiSecurityHeaders(origin?.startsWith("https:") ?? false),
      "X-Request-Id": requestId,
      ...(response.headers.has("cache-control") ? {} : { "Cache-Control": "no-store" }),
    });
    const seconds = (performance.now() - started) / 1000;
    log.info(
      { method: request.method, path: pathname, status: response.status, durationMs: Math.round(seconds * 10_000) / 10, ...fields },
      "request",
    );
    recordHttpRequest({ method: request.method, pathname, status: response.status, seconds, idempotency: fields.idempotency });
    const { userId, idempotency } = fields;
    describeRequestSpan(span, { method: request.method, pathname, status: response.status, requestId, userId, idempotency });
    return response;
  };
  return (request, context) => inRequestSpan((span) => handle(request, context, span));
}

/** 403 forbidden_origin, and a warning in the log (same-origin.ts says what counts as cross-site). */
function crossSiteRefusal(request: Request, expectedOrigin: string | null, log: Logger): ApiError {
  const [origin, secFetchSite] = [request.headers.get("origin"), request.headers.get("sec-fetch-site")];
  log.warn({ method: request.method, path: new URL(request.url).pathname, origin, secFetchSite, expectedOrigin }, "cross-site request refused");
  return new ApiError(
    "forbidden_origin",
    "Only this site's own pages may send this request; scripts authenticate with an API key (Authorization: Bearer).",
  );
}

function errorResponse(error: unknown, requestId: string, log: Logger): Response {
  if (error instanceof ApiError) {
    return problemResponse(problem(error.code, error.detail, requestId, error.extensions), error.headers);
  }
  if (isDatabaseUnavailable(error)) {
    log.warn({ err: error }, "database unavailable");
    return problemResponse(
      problem("service_unavailable", "The database is unreachable; retry shortly.", requestId),
      { "Retry-After": String(DB_RETRY_AFTER_SECONDS) },
    );
  }
  log.error({ err: error }, "unhandled error");
  return problemResponse(problem("internal_error", "An unexpected error occurred.", requestId));
}

function withHeaders(response: Response, added: Record<string, string>): Response {
  try {
    for (const [name, value] of Object.entries(added)) response.headers.set(name, value);
    return response;
  } catch {
    // Some responses (redirects) have immutable headers: copy them.
    const headers = new Headers(response.headers);
    for (const [name, value] of Object.entries(added)) headers.set(name, value);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}
