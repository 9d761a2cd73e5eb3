import { NextRequest } from "next/server";
import { beforeAll, describe, expect, it } from "vitest";
import { problemSchema } from "@/lib/schemas/problem";
import { proxy } from "@/proxy";
import { signInWithPassword } from "../helpers/auth";
import { createUser, TEST_PASSWORD } from "../helpers/database";

/**
 * src/proxy.ts as Next.js calls it, with a real Auth.js session cookie: the cross-site rule
 * (same-origin.ts) and the headers (security-headers.ts) wired together. No AUTH_URL here,
 * so the app's origin is the Host header's, over http. The e2e suite
 * (tests/e2e/security-headers.test.ts) does the same through the production server.
 */
const APP = "http://localhost:3000";

function request(method: string, path: string, headers: Record<string, string> = {}): NextRequest {
  return new NextRequest(`${APP}${path}`, { method, headers: { host: "localhost:3000", ...headers } });
}

/** NextResponse.next(): the request goes on to the page or route. */
const passed = (response: Response) => response.headers.get("x-middleware-next") === "1";

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

describe("the proxy's cross-site rule", () => {
  it("refuses a state change with the session cookie from another origin, scheme or port", async () => {
    for (const origin of ["https://evil.example", "https://localhost:3000", "http://localhost:3001", "null", `${APP}, https://evil.example`]) {
      await expectRefused(await proxy(request("POST", "/api/payments", { cookie: session, origin })));
    }
    for (const fetchSite of ["cross-site", "same-site", "none"]) {
      await expectRefused(await proxy(request("DELETE", "/api/api-keys/x", { cookie: session, "sec-fetch-site": fetchSite, origin: APP })));
    }
  });

  it("refuses a valid session cookie that comes with neither Origin nor Sec-Fetch-Site", async () => {
    await expectRefused(await proxy(request("POST", "/api/payments", { cookie: session })));
    await expectRefused(await proxy(request("POST", "/api/auth/signout", { cookie: session })));
  });

  it("lets this site's own pages through, by Origin or by Sec-Fetch-Site", async () => {
    expect(passed(await proxy(request("POST", "/api/payments", { cookie: session, origin: APP })))).toBe(true);
    expect(passed(await proxy(request("POST", "/api/payments", { cookie: session, origin: "http://LOCALHOST:3000" })))).toBe(true);
    expect(passed(await proxy(request("POST", "/api/payments", { cookie: session, "sec-fetch-site": "same-origin" })))).toBe(true);
  });

  it("lets API keys, the Stripe webhook, reads and cookie-less scripts through", async () => {
    const foreign = { origin: "https://evil.example" };
    expect(passed(await proxy(request("POST", "/api/payments", { ...foreign, cookie: session, authorization: "Bearer ipk_x" })))).toBe(true);
    expect(passed(await proxy(request("POST", "/api/webhooks/stripe", foreign)))).toBe(true);
    expect(passed(await proxy(request("GET", "/api/payments", { ...foreign, cookie: session })))).toBe(true);
    expect(passed(await proxy(request("POST", "/api/payments")))).toBe(true);
    // A forged cookie authenticates nothing: the route answers it (401), not this rule.
    expect(passed(await proxy(request("POST", "/api/payments", { cookie: "authjs.session-token=forged.jwt.value" })))).toBe(true);
  });

  it("refuses sign-up and sign-in from another site even without a cookie", async () => {
    await expectRefused(await proxy(request("POST", "/api/auth/sign-up", { origin: "https://evil.example" })));
    await expectRefused(await proxy(request("POST", "/api/auth/callback/credentials", { "sec-fetch-site": "cross-site" })));
  });
});

describe("the proxy's headers", () => {
  it("sets them on every response and hands Next.js the same CSP, with a fresh nonce each time", async () => {
    const nonces = new Set<string>();
    for (const path of ["/", "/pay", "/api/payments", "/_next/static/chunks/app.js", "/icon.svg"]) {
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
    expect(await cacheControl("/api/payments", { cookie: session })).toBeNull();
    expect(await cacheControl("/_next/static/chunks/app.js", { cookie: session })).toBeNull();
    expect(await cacheControl("/icon.svg", { cookie: session })).toBeNull();
  });
});
