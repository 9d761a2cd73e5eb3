import { NextRequest } from "next/server";
import { beforeAll, describe, expect, it } from "vitest";
import { problemSchema } from "@/lib/schemas/problem";
import { POST as authPost } from "@/app/api/auth/[...nextauth]/route";
import { POST as signUp } from "@/app/api/auth/sign-up/route";
import { DELETE as revokeKey } from "@/app/api/api-keys/[id]/route";
import { GET as listPayments, POST as postPayment } from "@/app/api/payments/route";
import { POST as webhook } from "@/app/api/webhooks/stripe/route";
import { config as proxyConfig, proxy } from "@/proxy";
import { signInWithPassword } from "../helpers/auth";
import { createUser, TEST_PASSWORD } from "../helpers/database";

/**
 * The cross-site rule (same-origin.ts) and the headers (security-headers.ts) where they are
 * wired: in withRoute for the API's routes (called here as Next.js calls them), in
 * src/proxy.ts for everything else; with a real Auth.js session cookie. No AUTH_URL here,
 * so the app's origin is the Host header's, over http. The e2e suite
 * (tests/e2e/security-headers.test.ts) does the same through the production server.
 */
const APP = "http://localhost:3000";

function request(method: string, path: string, headers: Record<string, string> = {}): NextRequest {
  return new NextRequest(`${APP}${path}`, { method, headers: { host: "localhost:3000", ...headers } });
}

/** NextResponse.next(): the request goes on to the page or route. */
const passed = (response: Response) => response.headers.get("x-middleware-next") === "1";

type Handler = (request: NextRequest, context: { params: Promise<Record<string, string | string[]>> }) => Promise<Response>;
const asHandler = (handler: unknown) => handler as Handler;

/** An API request through its real route handler, as Next.js calls it. */
function api(method: string, path: string, headers: Record<string, string> = {}): Promise<Response> {
  const routes: Array<[RegExp, Handler, (match: RegExpExecArray) => Record<string, string | string[]>]> = [
    [/^\/api\/payments$/, asHandler(method === "GET" ? listPayments : postPayment), () => ({})],
    [/^\/api\/api-keys\/([^/]+)$/, asHandler(revokeKey), (m) => ({ id: m[1]! })],
    [/^\/api\/auth\/sign-up$/, asHandler(signUp), () => ({})],
    [/^\/api\/webhooks\/stripe$/, asHandler(webhook), () => ({})],
    [/^\/api\/auth\/(.+)$/, asHandler(authPost), (m) => ({ nextauth: m[1]!.split("/") })],
  ];
  for (const [pattern, handler, params] of routes) {
    const match = pattern.exec(path);
    if (match) return handler(request(method, path, headers), { params: Promise.resolve(params(match)) });
  }
  throw new Error(`no route for ${path}`);
}

/** The route ran: whatever it answered, it was not the cross-site refusal. */
const notRefused = async (response: Response) => response.status !== 403 || (await response.clone().json()).code !== "forbidden_origin";

let session: string;

beforeAll(async () => {
  const user = await createUser();
  const { cookie } = await signInWithPassword(user.email, TEST_PASSWORD);
  if (!cookie) throw new Error("no session cookie");
  session = cookie;
});

async function expectRefused(response: Response) {
  expect(response.status).toBe(403);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = problemSchema.parse(await response.json());
  expect(body).toMatchObject({ status: 403, code: "forbidden_origin" });
  expect(body.requestId).toBe(response.headers.get("x-request-id"));
  // A refusal is a response of the app like any other.
  expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  expect(response.headers.get("cache-control")).toBe("no-store");
}

describe("the cross-site rule of the API's routes", () => {
  it("refuses a state change with the session cookie from another origin, scheme or port", async () => {
    for (const origin of ["https://evil.example", "https://localhost:3000", "http://localhost:3001", "null", `${APP}, https://evil.example`]) {
      await expectRefused(await api("POST", "/api/payments", { cookie: session, origin }));
    }
    for (const fetchSite of ["cross-site", "same-site", "none"]) {
      await expectRefused(await api("DELETE", "/api/api-keys/x", { cookie: session, "sec-fetch-site": fetchSite, origin: APP }));
    }
  });

  it("refuses a valid session cookie that comes with neither Origin nor Sec-Fetch-Site", async () => {
    await expectRefused(await api("POST", "/api/payments", { cookie: session }));
    await expectRefused(await api("POST", "/api/auth/signout", { cookie: session }));
  });

  it("lets this site's own pages through, by Origin or by Sec-Fetch-Site", async () => {
    expect(await notRefused(await api("POST", "/api/payments", { cookie: session, origin: APP }))).toBe(true);
    expect(await notRefused(await api("POST", "/api/payments", { cookie: session, origin: "http://LOCALHOST:3000" }))).toBe(true);
    expect(await notRefused(await api("POST", "/api/payments", { cookie: session, "sec-fetch-site": "same-origin" }))).toBe(true);
  });

  it("lets API keys, the Stripe webhook, reads and cookie-less scripts through", async () => {
    const foreign = { origin: "https://evil.example" };
    expect(await notRefused(await api("POST", "/api/payments", { ...foreign, cookie: session, authorization: "Bearer ipk_x" }))).toBe(true);
    expect(await notRefused(await api("POST", "/api/webhooks/stripe", foreign))).toBe(true);
    expect(await notRefused(await api("GET", "/api/payments", { ...foreign, cookie: session }))).toBe(true);
    expect(await notRefused(await api("POST", "/api/payments"))).toBe(true);
    // A forged cookie authenticates nothing: the route answers it (401), not this rule.
    const forged = await api("POST", "/api/payments", { cookie: "authjs.session-token=forged.jwt.value" });
    expect(forged.status).toBe(401);
  });

  it("refuses sign-up and sign-in from another site even without a cookie", async () => {
    await expectRefused(await api("POST", "/api/auth/sign-up", { origin: "https://evil.example" }));
    await expectRefused(await api("POST", "/api/auth/callback/credentials", { "sec-fetch-site": "cross-site" }));
  });

  it("gives every answer of the API fixed headers: nothing in it may load, run or be framed", async () => {
    for (const response of [await api("GET", "/api/payments"), await api("POST", "/api/payments", { cookie: session })]) {
      expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
      expect(response.headers.has("strict-transport-security")).toBe(false);
    }
    const https = await api("GET", "/api/payments", { "x-forwarded-proto": "https" });
    expect(https.headers.has("strict-transport-security")).toBe(false); // no trusted proxy: the forwarded scheme is not read
  });
});

describe("the proxy's cross-site rule, for pages", () => {
  it("is not run for the API, whose routes apply the rule themselves, but for a percent-encoded API path", () => {
    const runs = (path: string) => proxyConfig.matcher.some((matcher) => new RegExp(`^${matcher}$`).test(path));
    expect(["/", "/pay", "/docs/api", "/payments/x", "/_next/static/chunks/app.js", "/icon.svg", "/apis"].every(runs)).toBe(true);
    expect(["/api/payments", "/api/auth/signout", "/api/openapi.json", "/api/idempotency-keys/order-1"].some(runs)).toBe(false);
    expect(["/api/payments/%FF", "/api/idempotency-keys/a%2Fb"].every(runs)).toBe(true);
  });

  it("takes an API path that does not decode literally, so its route answers it (Next.js's router would answer a bare 500)", async () => {
    for (const [path, literal] of [
      ["/api/payments/%FF", "/api/payments/%25FF"],
      ["/api/payments/%C0%AF/refunds", "/api/payments/%25C0%25AF/refunds"],
      ["/api/idempotency-keys/%E9t%E9%2F", "/api/idempotency-keys/%25E9t%25E9%252F"],
      ["/api/payments/%", "/api/payments/%25"],
    ]) {
      const response = await proxy(request("GET", path!));
      expect(new URL(response.headers.get("x-middleware-rewrite")!).pathname, path).toBe(literal);
    }
    for (const path of ["/api/idempotency-keys/a%2Fb%20c", "/api/payments/%C3%A9"]) {
      const response = await proxy(request("POST", path, { cookie: session, origin: "https://evil.example" }));
      expect(passed(response), path).toBe(true); // untouched: the route applies the cross-site rule
      expect(response.headers.has("x-middleware-rewrite")).toBe(false);
      expect(response.headers.has("content-security-policy")).toBe(false);
    }
  });

  it("refuses a page's state change (a server action) with the session cookie from another site", async () => {
    await expectRefused(await proxy(request("POST", "/settings/api-keys", { cookie: session, origin: "https://evil.example" })));
    expect(passed(await proxy(request("POST", "/settings/api-keys", { cookie: session, origin: APP })))).toBe(true);
  });
});

describe("the proxy's headers", () => {
  it("sets them on every response and hands Next.js the same CSP, with a fresh nonce each time", async () => {
    const nonces = new Set<string>();
    for (const path of ["/", "/pay", "/docs/errors", "/_next/static/chunks/app.js", "/icon.svg"]) {
      const response = await proxy(request("GET", path));
      expect(passed(response), path).toBe(true);
      const csp = response.headers.get("content-security-policy");
      expect(csp, path).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}' 'strict-dynamic' https:\/\/js\.stripe\.com/);
      // What NextResponse.next({ request }) forwards: Next.js takes the nonce from there.
      expect(response.headers.get("x-middleware-request-content-security-policy"), path).toBe(csp);
      nonces.add(/'nonce-([^']+)'/.exec(csp!)![1]!);
      expect(response.headers.get("x-frame-options"), path).toBe("DENY");
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(response.headers.get("referrer-policy"), path).toBe("strict-origin-when-cross-origin");
      expect(response.headers.get("permissions-policy"), path).toContain('payment=(self "https://js.stripe.com")');
      expect(response.headers.has("strict-transport-security"), path).toBe(false);
    }
    expect(nonces.size).toBe(5);
  });

  it("marks a signed-in caller's pages no-store, leaving the API to its routes and static files alone", async () => {
    const cacheControl = async (path: string, headers: Record<string, string>) =>
      (await proxy(request("GET", path, headers))).headers.get("cache-control");
    expect(await cacheControl("/payments", { cookie: session })).toBe("no-store");
    expect(await cacheControl("/pay", { authorization: "Bearer ipk_x" })).toBe("no-store");
    expect(await cacheControl("/payments", {})).toBeNull();
    expect(await cacheControl("/_next/static/chunks/app.js", { cookie: session })).toBeNull();
    expect(await cacheControl("/icon.svg", { cookie: session })).toBeNull();
  });
});
