import { describe, expect, it } from "vitest";
import { securityHeaders, STRIPE_ORIGINS, stripeOrigins } from "./security-headers";

const NONCE = "bm9uY2Utb2YtdGhpcy1yZXNwb25zZQ==";

/** The CSP as directive name → its sources. */
function policy(headers: Record<string, string>): Map<string, string[]> {
  const csp = headers["Content-Security-Policy"];
  expect(csp).toBeDefined();
  return new Map(
    csp!.split(";").map((directive) => {
      const [name, ...sources] = directive.trim().split(/\s+/);
      return [name!, sources];
    }),
  );
}

const realStripe = stripeOrigins({ publishableKey: "pk_live_x", standInUrl: null });
const emulator = stripeOrigins({ publishableKey: "pk_test_x", standInUrl: "http://127.0.0.1:12111/endive/stripe.js" });

describe("stripeOrigins", () => {
  it("is Stripe's documented list with real Stripe, the stand-in's one origin with the emulator", () => {
    expect(realStripe).toBe(STRIPE_ORIGINS);
    expect(emulator).toEqual({
      script: ["http://127.0.0.1:12111"],
      frame: ["http://127.0.0.1:12111"],
      connect: ["http://127.0.0.1:12111"],
      paymentRequest: "http://127.0.0.1:12111",
    });
  });
});

describe("securityHeaders", () => {
  it("with real Stripe over https: Next.js's nonce, Stripe.js's script, frames and API, nothing else", () => {
    const headers = securityHeaders({ nonce: NONCE, stripe: realStripe, https: true, development: null });
    const csp = policy(headers);
    expect(Object.fromEntries(csp)).toEqual({
      "default-src": ["'self'"],
      "script-src": ["'self'", `'nonce-${NONCE}'`, "'strict-dynamic'", "https://js.stripe.com", "https://*.js.stripe.com"],
      "style-src": ["'self'", `'nonce-${NONCE}'`],
      "img-src": ["'self'", "blob:", "data:"],
      "font-src": ["'self'"],
      "connect-src": ["'self'", "https://api.stripe.com"],
      "frame-src": ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
      "object-src": ["'none'"],
      "base-uri": ["'self'"],
      "form-action": ["'self'"],
      "frame-ancestors": ["'none'"],
      "upgrade-insecure-requests": [],
    });
    expect(headers).toMatchObject({
      "X-Frame-Options": "DENY",
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "strict-origin-when-cross-origin",
      "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    });
    expect(headers["Permissions-Policy"]).toContain('payment=(self "https://js.stripe.com")');
    expect(headers["Permissions-Policy"]).toContain("camera=()");
    expect(headers["Permissions-Policy"]).toContain("geolocation=()");
    expect(headers["Permissions-Policy"]).toContain("microphone=()");
  });

  it("with the emulator over http: its origin instead of Stripe's, no HSTS, no upgrade of http requests", () => {
    const headers = securityHeaders({ nonce: NONCE, stripe: emulator, https: false, development: null });
    const csp = policy(headers);
    expect(csp.get("script-src")).toEqual(["'self'", `'nonce-${NONCE}'`, "'strict-dynamic'", "http://127.0.0.1:12111"]);
    expect(csp.get("frame-src")).toEqual(["http://127.0.0.1:12111"]);
    expect(csp.get("connect-src")).toEqual(["'self'", "http://127.0.0.1:12111"]);
    expect(csp.has("upgrade-insecure-requests")).toBe(false);
    expect(headers["Content-Security-Policy"]).not.toContain("stripe.com");
    expect(headers["Permissions-Policy"]).toContain('payment=(self "http://127.0.0.1:12111")');
    expect(headers).not.toHaveProperty("Strict-Transport-Security");
  });

  it("in development: eval, inline styles and the HMR websocket; no nonce for styles (it would void 'unsafe-inline')", () => {
    const headers = securityHeaders({ nonce: NONCE, stripe: emulator, https: false, development: { hmrSocket: "ws://localhost:3000" } });
    const csp = policy(headers);
    expect(csp.get("script-src")).toEqual(["'self'", `'nonce-${NONCE}'`, "'strict-dynamic'", "http://127.0.0.1:12111", "'unsafe-eval'"]);
    expect(csp.get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
    expect(csp.get("connect-src")).toEqual(["'self'", "http://127.0.0.1:12111", "ws://localhost:3000"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
  });

  it("never allows inline scripts or eval in production", () => {
    for (const stripe of [realStripe, emulator]) {
      const csp = securityHeaders({ nonce: NONCE, stripe, https: false, development: null })["Content-Security-Policy"]!;
      expect(csp).not.toContain("'unsafe-inline'");
      expect(csp).not.toContain("'unsafe-eval'");
    }
  });
});
