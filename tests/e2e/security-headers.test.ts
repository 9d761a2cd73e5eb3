import { randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";
import type { APIResponse, Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { PAYMENTS_PATH, refundsPath } from "@/lib/routes";
import { problemSchema } from "@/lib/schemas/problem";
import { queryOnce } from "../../scripts/lib/pg-once";
import { startBrowserForFile } from "./helpers/browser";
import { watchCspViolations } from "./helpers/csp-violations";
import { answerThreeDSecure, appUrl, fillCheckout, outcomeHeading, payButton, signUp } from "./helpers/checkout";
import { paymentRowsOf } from "./helpers/database";
import { emulator } from "./helpers/emulator-admin";

/**
 * The browser security headers and the cross-site rule of src/proxy.ts, through the production
 * server: every page and API route, the checkout with 3-D Secure under the CSP, and requests
 * that carry a signed-in browser's cookie from elsewhere.
 */
const browser = startBrowserForFile();

const APP_ORIGIN = new URL(appUrl()).origin;
const FOREIGN = "https://evil.example";

/** Every route.ts under src/app/api as a path, its `[param]` folders filled with `params`. */
function apiRoutes(params: Record<string, string>): string[] {
  const root = path.resolve("src/app/api");
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((file) => path.basename(file) === "route.ts")
    .map((file) => `/api/${path.dirname(file).split(path.sep).map((segment) => params[segment] ?? segment).join("/")}`)
    .sort();
}

/** What every answer of the app carries: a page's CSP with its nonce, or the API's fixed one (an answer is data). */
function expectSecurityHeaders(headers: Record<string, string>, what: string) {
  if (/ \/api\//.test(what)) {
    expectApiSecurityHeaders(headers, what);
    return;
  }
  const csp = headers["content-security-policy"] ?? "";
  expect(csp, what).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/]+=*' 'strict-dynamic' /);
  expect(csp, what).toContain(`frame-src ${inject("e2eEmulatorUrl")}`);
  expect(csp, what).toContain(`connect-src 'self' ${inject("e2eEmulatorUrl")}`);
  for (const directive of ["frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'", "form-action 'self'"]) {
    expect(csp, what).toContain(directive);
  }
  expect(csp, what).not.toMatch(/unsafe-(inline|eval)|stripe\.com/);
  expect(headers["x-frame-options"], what).toBe("DENY");
  expect(headers["x-content-type-options"], what).toBe("nosniff");
  expect(headers["referrer-policy"], what).toBe("strict-origin-when-cross-origin");
  expect(headers["permissions-policy"], what).toMatch(/camera=\(\).*payment=\(self "http:\/\/127\.0\.0\.1:\d+"\)/);
  // The e2e server is plain http.
  expect(headers["strict-transport-security"], what).toBeUndefined();
}

/** The API's answers: nothing in them may load, run or be framed (src/server/http/security-headers.ts). */
function expectApiSecurityHeaders(headers: Record<string, string>, what: string) {
  expect(headers["content-security-policy"], what).toBe("default-src 'none'; frame-ancestors 'none'");
  expect(headers["x-frame-options"], what).toBe("DENY");
  expect(headers["x-content-type-options"], what).toBe("nosniff");
  expect(headers["referrer-policy"], what).toBe("strict-origin-when-cross-origin");
  expect(headers["strict-transport-security"], what).toBeUndefined();
}

/** The nonce of a response's CSP. */
const nonceOf = (headers: Record<string, string>) => /'nonce-([^']+)'/.exec(headers["content-security-policy"] ?? "")?.[1];

/** POST to the API with the page's cookies (no Sec-Fetch-Site: Playwright's request client is not a browser's fetch). */
function post(page: Page, path: string, options: { origin?: string; data?: unknown; headers?: Record<string, string> } = {}) {
  return page.request.post(appUrl(path), {
    headers: { ...(options.origin !== undefined && { Origin: options.origin }), ...options.headers },
    ...(options.data !== undefined && { data: options.data }),
    maxRedirects: 0,
  });
}

function pay(page: Page, origin: string | undefined, headers: Record<string, string> = {}) {
  return post(page, PAYMENTS_PATH, {
    origin,
    data: { amount: 1_234, currency: "eur", paymentMethod: "pm_card_visa" },
    headers: { "Idempotency-Key": randomUUID(), ...headers },
  });
}

async function expectForbiddenOrigin(response: APIResponse, what: string) {
  expect(response.status(), what).toBe(403);
  expect(response.headers()["content-type"], what).toBe("application/problem+json");
  const body = problemSchema.parse(await response.json());
  expect(body.code, what).toBe("forbidden_origin");
  expect(body.requestId, what).toBe(response.headers()["x-request-id"]);
  // Every refusal here is the API's (its routes apply the rule): its fixed headers.
  expectApiSecurityHeaders(response.headers(), what);
}

/** The signed-in user of the page's cookies, by Auth.js's session endpoint; null when signed out. */
async function sessionEmail(page: Page): Promise<string | null> {
  const session = (await (await page.request.get(appUrl("/api/auth/session"))).json()) as { user?: { email?: string } } | null;
  return session?.user?.email ?? null;
}

/** Auth.js's CSRF token for the page's cookies. */
async function csrfToken(page: Page): Promise<string> {
  return ((await (await page.request.get(appUrl("/api/auth/csrf"))).json()) as { csrfToken: string }).csrfToken;
}

const usersWithEmail = async (email: string) =>
  (await queryOnce<{ n: number }>(inject("e2eDatabaseUrl"), "SELECT count(*)::int AS n FROM users WHERE email = $1", [email]))[0]!.n;

describe("security headers", () => {
  it("are on every page and every API route, signed in or not; a signed-in caller's pages are no-store", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page, "/payments");
    expect((await pay(page, APP_ORIGIN)).status()).toBe(201);
    const [payment] = await paymentRowsOf(customer.userId);

    const pages = ["/", "/sign-in", "/sign-up", "/pay", "/pay/return", "/payments", `/payments/${payment!.id}`, "/settings/api-keys", "/no-such-page"];
    const routes = apiRoutes({ "[id]": payment!.id, "[refundId]": randomUUID(), "[...nextauth]": "session" });
    expect(routes).toContain("/api/webhooks/stripe");
    expect(routes.length).toBeGreaterThanOrEqual(12);

    const signedOut = await browser.newPage();
    const nonces = new Set<string>();
    const assets = new Set<string>();
    for (const [who, client] of [["signed in", page], ["signed out", signedOut]] as const) {
      for (const target of [...pages, ...routes]) {
        const response = await client.request.get(appUrl(target), { maxRedirects: 0 });
        const headers = response.headers();
        const what = `${who} GET ${target} → ${response.status()}`;
        expectSecurityHeaders(headers, what);
        if (!target.startsWith("/api/")) nonces.add(nonceOf(headers)!);
        // The OpenAPI document is the same for everyone: cached for a while. Every other answer is per caller.
        if (target === "/api/openapi.json") expect(headers["cache-control"], what).toBe("public, max-age=300");
        else if (target.startsWith("/api/") || who === "signed in") expect(headers["cache-control"], what).toMatch(/\bno-store\b/);
        if (!target.startsWith("/api/") && response.status() === 200) {
          // Next.js put this response's nonce on every script of the page.
          const scripts = [...(await response.text()).matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag);
          expect(scripts.length, what).toBeGreaterThan(0);
          for (const tag of scripts) expect(tag, what).toContain(`nonce="${nonceOf(headers)}"`);
          for (const tag of scripts) assets.add(/src="(\/_next\/static\/[^"]+)"/.exec(tag)?.[1] ?? "");
        }
      }
    }
    expect(nonces.size, "a fresh nonce per page").toBe(2 * pages.length);

    // Next.js's static files too (nosniff matters most there), still cached for good, cookie or not.
    const [asset] = [...assets].filter(Boolean);
    const script = await page.request.get(appUrl(asset!));
    expectSecurityHeaders(script.headers(), `GET ${asset}`);
    expect(script.headers()["cache-control"]).toContain("immutable");

    // Other methods, and answers made before a handler runs (405, a bad signature), carry them too.
    for (const [method, target] of [
      ["POST", "/api/webhooks/stripe"],
      ["OPTIONS", PAYMENTS_PATH],
      ["PUT", PAYMENTS_PATH],
      ["POST", "/api/auth/sign-up"],
    ] as const) {
      const response = await page.request.fetch(appUrl(target), { method, headers: { Origin: APP_ORIGIN }, data: "{}" });
      expectSecurityHeaders(response.headers(), `${method} ${target} → ${response.status()}`);
    }
  });

  it("let the checkout pay with the Payment Element and 3-D Secure with no CSP violation", async () => {
    // Chromium logs most CSP violations as console errors, which fail the test (startBrowserForFile);
    // the page's own securitypolicyviolation events catch the rest (a probe that swallows the error).
    const page = await browser.newPage();
    const violations = await watchCspViolations(page);
    const customer = await signUp(page, "/pay");
    await fillCheckout(page, { amount: "45.50", currency: "eur", card: "needs authentication" });
    await payButton(page).click();
    await page.getByRole("dialog").waitFor();
    await answerThreeDSecure(page, "Complete");
    await outcomeHeading(page, "Payment successful").waitFor({ timeout: 20_000 });
    await expect(paymentRowsOf(customer.userId)).resolves.toMatchObject([{ status: "succeeded", amount: 4_550 }]);
    expect(await violations()).toEqual([]);
  });

  it("refuse a script injected into a page's HTML, and eval even from a trusted script", async () => {
    // Chromium's words for the two refusals: these, and only these, are expected here.
    const refused = /^(Executing inline script|Evaluating a string as JavaScript) violates the following Content Security Policy directive/;
    const page = await browser.newPage({ allowConsoleErrors: [refused] });
    const violations = await watchCspViolations(page);
    // What a stored XSS would do: the server's own page, with markup added on the way.
    await page.route(appUrl("/sign-in"), async (route) => {
      const response = await route.fetch();
      const nonce = nonceOf(response.headers());
      const injected =
        "<script>window.injected = true</script>" +
        `<script nonce="${nonce}">try { eval("window.evaluated = true") } catch { window.evalRefused = true }</script>`;
      await route.fulfill({ response, body: (await response.text()).replace("</body>", `${injected}</body>`) });
    });
    await page.goto(appUrl("/sign-in"));
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await expect(page.evaluate(() => ["injected", "evaluated", "evalRefused"].filter((name) => name in window))).resolves.toEqual(["evalRefused"]);
    expect(await violations()).toEqual([expect.stringMatching(/^script-src-elem inline /), expect.stringMatching(/^script-src eval /)]);
  });
});

describe("state-changing requests with a signed-in browser's cookie", () => {
  it("are refused from another origin or with no origin at all, and nothing is created; this origin and API keys pass", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page, "/settings/api-keys");

    await expectForbiddenOrigin(await pay(page, FOREIGN), "foreign Origin");
    await expectForbiddenOrigin(await pay(page, undefined), "no Origin, no Sec-Fetch-Site");
    await expectForbiddenOrigin(await pay(page, "null"), "Origin: null");
    await expectForbiddenOrigin(await pay(page, APP_ORIGIN.replace(/:(\d+)$/, (_, port: string) => `:${Number(port) + 1}`)), "another port");
    await expectForbiddenOrigin(await pay(page, APP_ORIGIN, { "Sec-Fetch-Site": "same-site" }), "a sibling origin");
    expect(await paymentRowsOf(customer.userId)).toEqual([]);
    expect(await emulator.paymentIntentsOf(customer.userId)).toEqual([]);

    expect((await pay(page, APP_ORIGIN)).status()).toBe(201);
    expect((await pay(page, undefined, { "Sec-Fetch-Site": "same-origin" })).status()).toBe(201);
    expect(await paymentRowsOf(customer.userId)).toHaveLength(2);

    // API keys: minted only from this site's pages; a key then works from anywhere.
    await expectForbiddenOrigin(await post(page, "/api/api-keys", { origin: FOREIGN, data: { name: "stolen" } }), "API key from elsewhere");
    const created = await post(page, "/api/api-keys", { origin: APP_ORIGIN, data: { name: "script" } });
    expect(created.status()).toBe(201);
    const { id: keyId, secret } = (await created.json()) as { id: string; secret: string };
    expect((await pay(page, FOREIGN, { Authorization: `Bearer ${secret}` })).status()).toBe(201);
    expect(await paymentRowsOf(customer.userId)).toHaveLength(3);
    const revoke = await page.request.delete(appUrl(`/api/api-keys/${keyId}`), { headers: { Origin: FOREIGN } });
    await expectForbiddenOrigin(revoke, "revoking a key from elsewhere");
    expect((await pay(page, undefined, { Authorization: `Bearer ${secret}` })).status()).toBe(201);

    // Refunds.
    const [newest] = await paymentRowsOf(customer.userId);
    const refund = (origin: string) =>
      post(page, refundsPath(newest!.id), { origin, data: { amount: 100 }, headers: { "Idempotency-Key": randomUUID() } });
    await expectForbiddenOrigin(await refund(FOREIGN), "refund from elsewhere");
    const refunds = async () => ((await (await page.request.get(appUrl(refundsPath(newest!.id)))).json()) as { data: unknown[] }).data;
    expect(await refunds()).toEqual([]);
    expect((await refund(APP_ORIGIN)).status()).toBe(201);
    expect(await refunds()).toHaveLength(1);
  });

  it("refuse sign-out from another origin, and the session still works; from this origin it signs out", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page, "/payments");
    const signOut = async (origin: string) =>
      page.request.post(appUrl("/api/auth/signout"), {
        headers: { Origin: origin },
        form: { csrfToken: await csrfToken(page), callbackUrl: appUrl("/") },
        maxRedirects: 0,
      });

    await expectForbiddenOrigin(await signOut(FOREIGN), "sign-out from elsewhere");
    expect(await sessionEmail(page)).toBe(customer.email);
    await page.goto(appUrl("/payments"));
    await page.getByRole("button", { name: "Sign out" }).waitFor();

    expect((await signOut(APP_ORIGIN)).status()).toBe(302);
    expect(await sessionEmail(page)).toBeNull();
  });

  it("refuse sign-up and sign-in from another origin, cookie or not", async () => {
    const page = await browser.newPage();
    const email = `e2e-${randomUUID()}@example.test`;
    const password = "e2e correct horse battery staple";
    const signUpFrom = (origin: string) => post(page, "/api/auth/sign-up", { origin, data: { email, password } });
    await expectForbiddenOrigin(await signUpFrom(FOREIGN), "sign-up from elsewhere");
    expect(await usersWithEmail(email)).toBe(0);
    expect((await signUpFrom(APP_ORIGIN)).status()).toBe(201);

    const signIn = async (origin: string) =>
      page.request.post(appUrl("/api/auth/callback/credentials"), {
        headers: { Origin: origin },
        form: { csrfToken: await csrfToken(page), email, password, callbackUrl: appUrl("/") },
        maxRedirects: 0,
      });
    await expectForbiddenOrigin(await signIn(FOREIGN), "sign-in from elsewhere");
    expect(await sessionEmail(page)).toBeNull();
    expect((await signIn(APP_ORIGIN)).status()).toBe(302);
    expect(await sessionEmail(page)).toBe(email);
  });
});
