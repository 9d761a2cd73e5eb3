import "server-only";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

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

/** `/api/payments/6f1c…` → `/api/payments/:id`, so ids do not explode label cardinality. */
export function routeLabel(pathname: string): string {
  return pathname.replace(/\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=\/|$)/gi, "/:id");
}
