import "server-only";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { ERROR_CODES } from "@/lib/error-codes";
import type { IdempotencyOutcome } from "@/server/idempotency/with-idempotency";

type Metrics = ReturnType<typeof createMetrics>;

function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "payments_process_" });
  return {
    registry,
    httpRequests: new Counter({
      name: "payments_http_requests_total",
      help: "HTTP requests answered, by method, route and status.",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "payments_http_request_duration_seconds",
      help: "Time to answer an HTTP request.",
      labelNames: ["method", "route"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    idempotencyOutcomes: new Counter({
      name: "payments_idempotency_outcomes_total",
      help: "Keyed requests by outcome: created, replayed, recovered, in_progress, mismatch, released.",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    stripeDuration: new Histogram({
      name: "payments_stripe_request_duration_seconds",
      help: "Time spent in Stripe calls (SDK retries included), by operation and result.",
      labelNames: ["operation", "result"] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}

const holder = globalThis as unknown as { paymentsMetrics?: Metrics };

/** The process's metrics (one registry per instance, as Prometheus expects). */
export function metrics(): Metrics {
  holder.paymentsMetrics ??= createMetrics();
  return holder.paymentsMetrics;
}

/**
 * Counts one answered request. Its labels come from fixed sets only (httpLabels), never from
 * the request's text: the paths, methods and ids a caller sends cannot add a series.
 */
export function recordHttpRequest(request: {
  method: string;
  pathname: string;
  status: number;
  seconds: number;
  idempotency?: IdempotencyOutcome;
}): void {
  const { method, route, status } = httpLabels(request.method, request.pathname, request.status);
  const m = metrics();
  m.httpRequests.inc({ method, route, status });
  m.httpDuration.observe({ method, route }, request.seconds);
  if (request.idempotency) m.idempotencyOutcomes.inc({ outcome: request.idempotency });
}

/**
 * Every route the API serves, as its label: one per `route.ts` under `src/app/api`, a `[param]`
 * folder as `:param` and a `[...rest]` one as `*` (metrics.test.ts checks that the two agree).
 * A static template comes before a catch-all that would also match it, as in Next.js.
 */
export const ROUTE_TEMPLATES = [
  "/api/payments",
  "/api/payments/:id",
  "/api/payments/:id/refunds",
  "/api/payments/:id/refunds/:refundId",
  "/api/idempotency-keys/:key",
  "/api/api-keys",
  "/api/api-keys/:id",
  "/api/auth/sign-up",
  "/api/auth/*",
  "/api/cron/cleanup",
  "/api/cron/reconcile",
  "/api/health",
  "/api/metrics",
  "/api/openapi.json",
  "/api/webhooks/stripe",
] as const;

/** The one label of every path that matches no template. */
export const OTHER_ROUTE = "other";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/**
 * The statuses the API answers on purpose (its error table's, its successes, Auth.js's
 * redirects) are labelled as themselves; any other is counted by its class (`5xx`).
 */
const STATUSES: ReadonlySet<number> = new Set([
  ...[200, 201, 204, 301, 302, 303, 304, 307, 308],
  ...Object.values(ERROR_CODES).map((entry) => entry.status),
]);

const PATTERNS = ROUTE_TEMPLATES.map((template) => ({ template, segments: template.split("/").slice(1) }));

export type HttpLabels = {
  method: (typeof METHODS)[number] | "OTHER";
  route: (typeof ROUTE_TEMPLATES)[number] | typeof OTHER_ROUTE;
  status: string;
};

/**
 * A request's metric labels, each from a fixed set: the route's template (`/api/payments/x-1`
 * → `/api/payments/:id`: any segment, whatever it holds, fills the parameter at its
 * position), the method (`OTHER` for one HTTP does not define), the status (or its class).
 */
export function httpLabels(method: string, pathname: string, status: number): HttpLabels {
  return {
    method: METHODS.find((known) => known === method) ?? "OTHER",
    route: routeLabel(pathname),
    status: statusLabel(status),
  };
}

function routeLabel(pathname: string): HttpLabels["route"] {
  const [root, ...segments] = pathname.split("/");
  // Next.js serves neither a relative path nor an empty segment (`//`, a trailing `/`).
  if (root !== "" || segments.includes("")) return OTHER_ROUTE;
  return PATTERNS.find((pattern) => matches(pattern.segments, segments))?.template ?? OTHER_ROUTE;
}

function matches(pattern: readonly string[], segments: readonly string[]): boolean {
  const catchAll = pattern.at(-1) === "*";
  const fixed = catchAll ? pattern.length - 1 : pattern.length;
  if (catchAll ? segments.length <= fixed : segments.length !== fixed) return false;
  return pattern.slice(0, fixed).every((part, i) => part.startsWith(":") || part === segments[i]);
}

function statusLabel(status: number): string {
  if (STATUSES.has(status)) return String(status);
  return Number.isInteger(status) && status >= 100 && status <= 599 ? `${Math.floor(status / 100)}xx` : "other";
}
