import "server-only";
import type { StripeJsConfig } from "@/lib/stripe-js";

/** Where the checkout's Stripe.js loads its script from, frames its forms from and calls. */
export type StripeOrigins = { script: string[]; frame: string[]; connect: string[]; paymentRequest: string };

/**
 * Stripe's own list for Stripe.js (docs.stripe.com/security/guide#content-security-policy).
 * It also names https://maps.googleapis.com, for the Address Element's autocomplete only,
 * which the checkout does not use. `paymentRequest` is the frame the Payment Element's wallets
 * (Apple Pay, Google Pay) call the Payment Request API from, which needs `payment` delegated.
 */
export const STRIPE_ORIGINS: StripeOrigins = {
  script: ["https://js.stripe.com", "https://*.js.stripe.com"],
  frame: ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"],
  connect: ["https://api.stripe.com"],
  paymentRequest: "https://js.stripe.com",
};

/**
 * Stripe's origins, or with the emulator the one origin its stand-in comes from: the stand-in
 * frames its card form and 3-D Secure page, and calls its API, from wherever it was loaded.
 */
export function stripeOrigins(stripeJs: StripeJsConfig): StripeOrigins {
  if (!stripeJs.standInUrl) return STRIPE_ORIGINS;
  const origin = new URL(stripeJs.standInUrl).origin;
  return { script: [origin], frame: [origin], connect: [origin], paymentRequest: origin };
}

export type SecurityHeaderOptions = {
  /** This response's CSP nonce: fresh, unguessable, base64. */
  nonce: string;
  stripe: StripeOrigins;
  /** The site is served over https (appOrigin's scheme): HSTS, and upgrade-insecure-requests. */
  https: boolean;
  /** `next dev`: its HMR websocket (`ws://host` of the page); null in production. */
  development: { hmrSocket: string } | null;
};

/**
 * The headers every response of the app carries (src/proxy.ts sets them). The CSP is Next.js's
 * nonce-based one for the App Router (node_modules/next/dist/docs/01-app/02-guides/
 * content-security-policy.md): Next.js finds the nonce in the request's CSP and puts it on its
 * own scripts, and 'strict-dynamic' lets those load the rest, Stripe.js included (loadStripe
 * and the stand-in's loader insert their script from a trusted one). The Stripe hosts in
 * script-src serve browsers without 'strict-dynamic'. In development React reconstructs
 * server stacks with eval, and the dev overlay injects styles.
 */
export function securityHeaders({ nonce, stripe, https, development }: SecurityHeaderOptions): Record<string, string> {
  const directives: Array<[string, ...string[]]> = [
    ["default-src", "'self'"],
    ["script-src", "'self'", `'nonce-${nonce}'`, "'strict-dynamic'", ...stripe.script, ...(development ? ["'unsafe-eval'"] : [])],
    ["style-src", "'self'", development ? "'unsafe-inline'" : `'nonce-${nonce}'`],
    ["img-src", "'self'", "blob:", "data:"],
    ["font-src", "'self'"],
    ["connect-src", "'self'", ...stripe.connect, ...(development ? [development.hmrSocket] : [])],
    ["frame-src", ...stripe.frame],
    ["object-src", "'none'"],
    ["base-uri", "'self'"],
    ["form-action", "'self'"],
    ["frame-ancestors", "'none'"],
    // Only over https: the emulator (and `next dev`) answer on plain http.
    ...(https ? [["upgrade-insecure-requests"] as [string]] : []),
  ];
  return {
    "Content-Security-Policy": directives.map((directive) => directive.join(" ")).join("; "),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": [
      ...["accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone", "usb", "browsing-topics"].map(
        (feature) => `${feature}=()`,
      ),
      `payment=(self "${stripe.paymentRequest}")`,
    ].join(", "),
    // A browser ignores it over http (RFC 6797 §8.1); sent where the site is https only.
    ...(https ? { "Strict-Transport-Security": "max-age=31536000; includeSubDomains" } : {}),
  };
}

const API_HEADERS = {
  // An answer of the API is data, never a document: nothing in it may load, run or be framed.
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "strict-origin-when-cross-origin",
};
const API_HEADERS_HTTPS = { ...API_HEADERS, "Strict-Transport-Security": "max-age=31536000; includeSubDomains" };

/**
 * The headers every answer of the API carries (withRoute sets them; the proxy, which sets the
 * pages' headers, does not run for /api/: it cost a replay more CPU than the replay itself).
 * Fixed strings: no nonce, as no API answer is a page.
 */
export function apiSecurityHeaders(https: boolean): Readonly<Record<string, string>> {
  return https ? API_HEADERS_HTTPS : API_HEADERS;
}
