import { randomInt } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { httpLabels, OTHER_ROUTE, ROUTE_TEMPLATES } from "./metrics";

const route = (pathname: string) => httpLabels("GET", pathname, 200).route;
const method = (name: string) => httpLabels(name, "/api/payments", 200).method;
const status = (code: number) => httpLabels("GET", "/api/payments", code).status;

/** The route files' folders as templates: `[id]` → `:id`, `[...nextauth]` → `*`. */
function servedTemplates(): string[] {
  const api = path.join(import.meta.dirname, "../../app/api");
  return readdirSync(api, { recursive: true, encoding: "utf8" })
    .filter((file) => path.basename(file) === "route.ts")
    .map((file) => {
      const segments = path.dirname(file).split(path.sep);
      return ["/api", ...segments.map((s) => (s.startsWith("[...") ? "*" : s.replace(/^\[(\w+)\]$/, ":$1")))].join("/");
    });
}

describe("httpLabels", () => {
  it("has one template per route file under src/app/api, and no other", () => {
    expect([...ROUTE_TEMPLATES].sort()).toEqual(servedTemplates().sort());
  });

  it("labels a path of each route with its template, whatever fills the parameters", () => {
    for (const template of ROUTE_TEMPLATES) {
      for (const value of ["6f1c2a9e-0b7e-4c1d-9a57-3f0e2b8c1d4e", "x-1", "1"]) {
        expect(route(template.replace(/:\w+/g, value).replace("*", `callback/${value}`))).toBe(template);
      }
    }
  });

  it.each([
    ["an id that is not a UUID", "/api/payments/x-1", "/api/payments/:id"],
    ["a number", "/api/payments/12345/refunds", "/api/payments/:id/refunds"],
    ["control characters", "/api/payments/\u0000\r\n\u001b[31m", "/api/payments/:id"],
    ["percent-encoded control characters", "/api/payments/%00%0d%0a/refunds/%7f", "/api/payments/:id/refunds/:refundId"],
    ["a very long segment", `/api/payments/${"a".repeat(100_000)}`, "/api/payments/:id"],
    ["very many segments", `/api/payments${"/x".repeat(10_000)}`, OTHER_ROUTE],
    ["an encoded slash", "/api/payments/a%2Fb%2Frefunds", "/api/payments/:id"],
    ["an encoded slash before a segment", "/api/payments/a%2F..%2F/refunds", "/api/payments/:id/refunds"],
    ["a dot-dot segment", "/api/payments/..", "/api/payments/:id"],
    ["a dot-dot climb", "/api/payments/../../etc/passwd", OTHER_ROUTE],
    ["unicode", "/api/payments/💳/refunds/é\u202e", "/api/payments/:id/refunds/:refundId"],
    ["a label's own syntax", '/api/payments/"},route="x', "/api/payments/:id"],
    ["a template as the id", "/api/payments/:id", "/api/payments/:id"],
    ["Auth.js's routes", "/api/auth/callback/credentials", "/api/auth/*"],
    ["anything under Auth.js's catch-all", `/api/auth/${"x/".repeat(50)}x`, "/api/auth/*"],
    ["sign-up, static before the catch-all", "/api/auth/sign-up", "/api/auth/sign-up"],
    ["below sign-up, which only the catch-all serves", "/api/auth/sign-up/x", "/api/auth/*"],
    ["the catch-all's folder alone", "/api/auth", OTHER_ROUTE],
    ["a segment too many", "/api/payments/x/refunds/y/z", OTHER_ROUTE],
    ["a literal that differs", "/api/payments/x/refundz", OTHER_ROUTE],
    ["another case", "/API/payments", OTHER_ROUTE],
    ["a trailing slash", "/api/payments/", OTHER_ROUTE],
    ["an empty segment", "/api//payments", OTHER_ROUTE],
    ["a relative path", "api/payments", OTHER_ROUTE],
    ["an empty path", "", OTHER_ROUTE],
    ["a page", "/pay", OTHER_ROUTE],
    ["a query in the path", "/api/health?x=1", OTHER_ROUTE],
  ])("labels %s by the table", (_, pathname, expected) => {
    expect(route(pathname)).toBe(expected);
  });

  it("labels the pathname that withRoute reads from a hostile URL by the table", () => {
    const pathname = (url: string) => new URL(url).pathname;
    expect(route(pathname("http://localhost/api/payments/%2e%2e/refunds"))).toBe(OTHER_ROUTE); // → /api/refunds
    expect(route(pathname("http://localhost/api/payments/a b\u0001/refunds"))).toBe("/api/payments/:id/refunds");
    expect(route(pathname("http://localhost/api/payments/%C0%AF/refunds/%uD800"))).toBe("/api/payments/:id/refunds/:refundId");
  });

  it("gives thousands of random paths no label outside the table", () => {
    const pick = <T,>(items: readonly T[]): T => items[randomInt(items.length)]!;
    const words = ["payments", "refunds", "auth", "api-keys", "sign-up", "health", "", "..", "%2F", ":id", "*", "\u0000", "é", "💳"];
    const junk = () => Array.from({ length: 1 + pick([0, 1, 2, 3, 40]) }, () => pick(["a", "-", ".", "%", "\n", "é", "💳"])).join("");
    const paths = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const segments = Array.from({ length: pick([1, 2, 3, 4, 5, 6]) }, () => (pick([true, false]) ? pick(words) : junk()));
      paths.add(`/api/${segments.join("/")}`);
    }
    expect(paths.size).toBeGreaterThan(5_000);
    const allowed = new Set<string>([...ROUTE_TEMPLATES, OTHER_ROUTE]);
    expect([...paths].filter((p) => !allowed.has(route(p)))).toEqual([]); // names the path that escaped
    const labels = new Set([...paths].map(route));
    expect(labels.size).toBeGreaterThan(5); // the paths did reach several templates
  });

  it("labels the HTTP methods as themselves and any other as OTHER", () => {
    for (const known of ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) expect(method(known)).toBe(known);
    for (const unknown of ["get", "Post", "PROPFIND", "TRACE", "CONNECT", "X-1", "GET\n", "", "A".repeat(10_000)]) {
      expect(method(unknown)).toBe("OTHER");
    }
  });

  it("labels the statuses the API answers as themselves, any other by its class", () => {
    for (const known of [200, 201, 204, 302, 400, 401, 402, 404, 405, 409, 413, 415, 422, 429, 500, 503]) {
      expect(status(known)).toBe(String(known));
    }
    expect([299, 418, 451, 504, 599].map(status)).toEqual(["2xx", "4xx", "4xx", "5xx", "5xx"]);
    expect([0, 99, 600, 1e9, -201, 201.5, Number.NaN].map(status)).toEqual(Array(7).fill("other"));
  });
});
