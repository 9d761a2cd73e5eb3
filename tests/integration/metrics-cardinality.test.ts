import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DELETE as deleteApiKey } from "@/app/api/api-keys/[id]/route";
import { GET as authJs } from "@/app/api/auth/[...nextauth]/route";
import { GET as metricsRoute } from "@/app/api/metrics/route";
import { GET as getRefund } from "@/app/api/payments/[id]/refunds/[refundId]/route";
import { POST as postRefund } from "@/app/api/payments/[id]/refunds/route";
import { GET as getPayment } from "@/app/api/payments/[id]/route";
import { GET as health } from "@/app/api/health/route";
import { OTHER_ROUTE, ROUTE_TEMPLATES } from "@/server/ops/metrics";
import { customer, type TestCustomer } from "../helpers/payments-api";

const METRICS_TOKEN = "metrics-token-for-tests-0123456789";
process.env.METRICS_TOKEN = METRICS_TOKEN;

type Handler<P> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;

/** What a caller controls about one request: its path segments (anything), its method, its credentials. */
type Variant = { segment: string; method: string; who: TestCustomer | null };

/** One request of each kind an outsider can send, through the real route handlers. */
const kinds: Array<(v: Variant) => Promise<Response>> = [
  ({ segment, method, who }) => call(getPayment, `/api/payments/${segment}`, { id: segment }, method, who),
  ({ segment, method, who }) =>
    call(postRefund, `/api/payments/${segment}/refunds`, { id: segment }, method, who, { "Idempotency-Key": randomUUID() }),
  ({ segment, method, who }) =>
    call(getRefund, `/api/payments/${segment}/refunds/${segment}`, { id: segment, refundId: segment }, method, who),
  ({ segment, method, who }) => call(deleteApiKey, `/api/api-keys/${segment}`, { id: segment }, method, who),
  ({ segment, method }) => call(authJs, `/api/auth/${segment}/${segment}`, { nextauth: [segment, segment] }, method, null),
  // A path no route serves, as a wrapper would see it if one were ever reached by it.
  ({ segment, method }) => call(health, `/api/${segment}/${segment}`, {}, method, null),
];

function call<P>(handler: Handler<P>, path: string, params: P, method: string, who: TestCustomer | null, headers = {}) {
  const body = method === "GET" ? {} : { body: "{}" };
  const request = new Request(new URL(path, "http://localhost"), {
    method,
    headers: { ...(method === "GET" ? {} : { "Content-Type": "application/json" }), ...who?.headers, ...headers },
    ...body,
  });
  return handler(request, { params: Promise.resolve(params) });
}

/** The `shape`th of the segments an attacker might try, made distinct by `n`. */
const hostile = (n: number, shape: number) =>
  [
    `x-${n}`,
    `${n}`,
    `a%2F..%2F${n}`,
    `..%2f${n}%2F`,
    `%00%0d%0a${n}`,
    `💳${n}é\u202e`,
    `${"a".repeat(2_000)}${n}`,
    `"},route="${n}`,
    randomUUID(),
  ][shape % 9]!;

async function scrape(): Promise<string> {
  const response = await metricsRoute(
    new Request("http://localhost/api/metrics", { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } }),
    { params: Promise.resolve({}) },
  );
  expect(response.status).toBe(200);
  return response.text();
}

/** The samples of the app's own metrics (not the process's), as `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const lines = text.split("\n").filter((line) => line.startsWith("payments_") && !line.startsWith("payments_process_"));
  return new Map(lines.map((line) => [line.slice(0, line.lastIndexOf(" ")), Number(line.slice(line.lastIndexOf(" ") + 1))]));
}

/** How many series each metric has: `payments_http_requests_total` → 7. */
function seriesPerMetric(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const series of samples(text).keys()) {
    const name = series.split("{")[0]!;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

const requestsCounted = (text: string) =>
  [...samples(text)].filter(([series]) => series.startsWith("payments_http_requests_total{")).reduce((sum, [, n]) => sum + n, 0);

describe("metric labels under a flood of distinct paths", () => {
  it("add no series: a second flood of thousands of new hostile paths and methods adds none to the first's", async () => {
    const alice = await customer();
    const callers = [null, alice];
    const methods = ["GET", "POST", "PROPFIND", "X-UNKNOWN"];
    let n = 0;
    const flood = async (size: number) => {
      for (let sent = 0; sent < size; sent += 200) {
        await Promise.all(
          Array.from({ length: 200 }, () => {
            // Every combination of kind × method × caller × segment shape in turn (a cycle of 432),
            // a new path each time.
            const i = n++;
            const [kind, method, who] = [kinds[i % 6]!, methods[Math.floor(i / 6) % 4]!, callers[Math.floor(i / 24) % 2]!];
            return kind({ segment: hostile(i, Math.floor(i / 48)), method, who });
          }),
        );
      }
    };

    // The first flood makes every series these kinds of request can make; the second sends as
    // many paths that none has seen.
    await scrape(); // its own series too
    await flood(1_800);
    const before = await scrape();
    await flood(1_800);
    const after = await scrape();

    expect(seriesPerMetric(after)).toEqual(seriesPerMetric(before));
    expect(seriesPerMetric(after)["payments_http_requests_total"]).toBeLessThan(50); // a few dozen, not thousands
    // Every request was counted (and the scrape `before` itself, recorded once it had answered).
    expect(requestsCounted(after) - requestsCounted(before)).toBe(1_800 + 1);

    const labelValues = (name: string) => new Set([...after.matchAll(new RegExp(`[{,]${name}="([^"]*)"`, "g"))].map((m) => m[1]!));
    const routes = new Set<string>([...ROUTE_TEMPLATES, OTHER_ROUTE]);
    expect([...labelValues("route")].filter((route) => !routes.has(route))).toEqual([]);
    expect([...labelValues("method")].sort()).toEqual(["GET", "OTHER", "POST"]);
    expect([...labelValues("status")].filter((status) => !/^([1-5]\d\d|[1-5]xx|other)$/.test(status))).toEqual([]);
  });
});
