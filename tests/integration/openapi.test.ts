import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { GET as getDocument } from "@/app/api/openapi.json/route";
import { ERROR_CODES } from "@/lib/error-codes";
import { openApiDocument } from "@/lib/openapi/document";
import { OPERATIONS } from "@/lib/openapi/operations";
import { generatedClientFiles } from "../../scripts/generate-client";
import { OpenApiValidator } from "../helpers/openapi-validator";
import { customer, pay } from "../helpers/payments-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";

startStripeEmulatorForFile();

const ROOT = path.resolve(import.meta.dirname, "../..");
const API_DIR = path.join(ROOT, "src/app/api");
/** Auth.js's own protocol (sign-in, callbacks, CSRF, session): not this API's, and not documented as it. */
const NOT_THE_API = new Set(["/api/auth/{nextauth}"]);

/** Every route.ts under src/app/api, as OpenAPI's path template (`[id]` → `{id}`, `[...x]` → `{x}`). */
function routeFiles(dir = API_DIR): { template: string; file: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(full);
    if (entry.name !== "route.ts") return [];
    const template = `/api/${path.relative(API_DIR, dir)}`.replace(/\[(?:\.\.\.)?([^\]]+)\]/g, "{$1}");
    return [{ template, file: full }];
  });
}

describe("GET /api/openapi.json", () => {
  it("is an OpenAPI 3.1 document that a schema validator accepts, with this deployment's key policy", async () => {
    const response = await getDocument(new Request("http://localhost/api/openapi.json"), { params: Promise.resolve({}) });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    const document = (await response.json()) as Record<string, unknown>;
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(document["x-idempotency"]).toMatchObject({ header: "Idempotency-Key", ttlSeconds: 86_400, scope: expect.stringContaining("Per user") });
  });

  it("documents every route the app serves, with exactly the methods it serves (their OPTIONS says which)", async () => {
    const documented = new Map<string, Set<string>>();
    for (const operation of OPERATIONS) documented.set(operation.path, (documented.get(operation.path) ?? new Set()).add(operation.method.toUpperCase()));
    const served = new Map<string, Set<string>>();
    for (const { template, file } of routeFiles()) {
      if (NOT_THE_API.has(template)) continue;
      const routeModule = (await import(file)) as { OPTIONS: (request: Request, context: { params: Promise<object> }) => Promise<Response> };
      const response = await routeModule.OPTIONS(new Request(`http://localhost${template}`, { method: "OPTIONS" }), { params: Promise.resolve({}) });
      const allow = (response.headers.get("allow") ?? "").split(",").map((method) => method.trim());
      served.set(template, new Set(allow.filter((method) => method !== "HEAD" && method !== "OPTIONS")));
    }
    expect(Object.fromEntries([...served].map(([p, m]) => [p, [...m].sort()]))).toEqual(
      Object.fromEntries([...documented].map(([p, m]) => [p, [...m].sort()])),
    );
  });

  it("gives every problem answer a code of the error table, the table's status, and a retry hint", () => {
    const document = openApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { allOf?: [unknown, { properties: { code: { enum: string[] } } }] } }> }> }>> };
    let problems = 0;
    for (const operations of Object.values(document.paths)) {
      for (const operation of Object.values(operations)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          const schema = response.content?.["application/problem+json"]?.schema;
          if (!schema) continue;
          for (const code of schema.allOf![1].properties.code.enum) {
            problems++;
            expect(ERROR_CODES[code as keyof typeof ERROR_CODES].status, code).toBe(Number(status));
          }
        }
      }
    }
    expect(problems).toBeGreaterThan(50);
    const problem = (openApiDocument() as { components: { schemas: { Problem: { required: string[] } } } }).components.schemas.Problem;
    expect(problem.required).toEqual(expect.arrayContaining(["type", "title", "status", "detail", "code", "retry", "requestId"]));
  });

  it("is what the committed client was generated from: client/openapi.json and client/src/schema.ts are current", async () => {
    for (const [file, text] of Object.entries(await generatedClientFiles())) {
      expect(readFileSync(path.join(ROOT, file), "utf8"), `${file} is stale: run npm run client:generate`).toBe(text);
    }
  });
});

describe("the response validator", () => {
  // Checked against a real answer, then against the same answer changed the ways a route can
  // drift from the document: each must be caught.
  it("accepts a real answer and refuses one that departs from the document in status, headers or body", async () => {
    const validator = new OpenApiValidator();
    const response = await pay(await customer());
    const body = await response.text();
    const real = { status: response.status, headers: response.headers, body };
    expect(validator.check("POST", "/api/payments", real)).toEqual([]);

    const withHeaders = (change: (headers: Headers) => void) => {
      const headers = new Headers(response.headers);
      change(headers);
      return headers;
    };
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const drifts: [string, Parameters<OpenApiValidator["check"]>[2], RegExp][] = [
      ["an undocumented status", { ...real, status: 200 }, /status 200 is not documented/],
      ["a field the schema does not have", { ...real, body: JSON.stringify({ ...parsed, extra: 1 }) }, /must NOT have additional properties/],
      ["a field missing", { ...real, body: JSON.stringify({ ...parsed, status: undefined }) }, /must have required property 'status'/],
      ["a value of the wrong type", { ...real, body: JSON.stringify({ ...parsed, amount: "2500" }) }, /body\/amount must be integer/],
      ["no X-Request-Id", { ...real, headers: withHeaders((h) => h.delete("x-request-id")) }, /X-Request-Id/],
      ["another Content-Type", { ...real, headers: withHeaders((h) => h.set("content-type", "text/html")) }, /Content-Type "text\/html"/],
      ["a malformed Idempotent-Replayed", { ...real, headers: withHeaders((h) => h.set("idempotent-replayed", "yes")) }, /Idempotent-Replayed/],
      [
        "a problem with a code the operation does not answer",
        { status: 404, headers: withHeaders((h) => h.set("content-type", "application/problem+json")), body: JSON.stringify({ type: "/docs/errors#not_found", title: "Not found", status: 404, detail: "x", code: "not_found", retry: "never", requestId: "req_1" }) },
        /status 404 is not documented/,
      ],
      [
        "a 409 without Retry-After",
        { status: 409, headers: withHeaders((h) => h.set("content-type", "application/problem+json")), body: JSON.stringify({ type: "/docs/errors#idempotency_request_in_progress", title: "t", status: 409, detail: "x", code: "idempotency_request_in_progress", retry: "same_key", requestId: "req_1" }) },
        /required header Retry-After is missing/,
      ],
    ];
    for (const [name, answer, expected] of drifts) {
      expect(validator.check("POST", "/api/payments", answer).join("\n"), name).toMatch(expected);
    }
    expect(validator.check("PATCH", "/api/payments", { ...real, status: 405 }).join("\n")).toMatch(/Allow is/);
  });
});
