import "server-only";
import { getToken } from "next-auth/jwt";
import { authLogger } from "@/server/auth/auth-logger";

/** What decides the app's own origin: src/env.ts's AUTH_URL and TRUSTED_PROXY_HOPS. */
export type OriginConfig = { AUTH_URL?: string; TRUSTED_PROXY_HOPS: number };

/**
 * The origin a browser shows in `Origin` when a page of this app sends the request, or null
 * if the request does not say (no usable Host):
 *
 * 1. AUTH_URL's origin when it is set: the site's public address, the one Auth.js builds every
 *    redirect and callback from, so the only one where signing in works at all.
 * 2. Otherwise scheme and host of the request itself. `next start` speaks plain HTTP, so the
 *    scheme is `http` and the host is `Host`, unless TRUSTED_PROXY_HOPS says proxies stand in
 *    front: then `X-Forwarded-Proto` and `X-Forwarded-Host` as the outermost trusted proxy
 *    wrote them (the entry that many from the right: each proxy appends the scheme and host
 *    it was asked for). Forwarded headers are never read without trusted proxies.
 *
 * The host is compared as browsers serialize it: lowercase, without a default port. A trailing
 * dot stays: `app.example.` is another origin to a browser (and to its cookie jar), so to us.
 */
export function appOrigin(headers: Headers, config: OriginConfig): string | null {
  if (config.AUTH_URL) return new URL(config.AUTH_URL).origin;
  const hops = config.TRUSTED_PROXY_HOPS;
  const proto = hops > 0 ? forwarded(headers.get("x-forwarded-proto"), hops)?.toLowerCase() : undefined;
  const host = (hops > 0 ? forwarded(headers.get("x-forwarded-host"), hops) : undefined) ?? headers.get("host");
  if (!host || !HOST.test(host)) return null;
  try {
    return new URL(`${proto === "https" ? "https" : "http"}://${host}`).origin;
  } catch {
    return null;
  }
}

/** A host name (or IPv6 literal) and port, nothing else: no userinfo, path or list for URL parsing to reinterpret. */
const HOST = /^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** The entry of a comma-separated forwarded header that the outermost of `hops` trusted proxies wrote. */
function forwarded(value: string | null, hops: number): string | undefined {
  if (!value) return undefined;
  const entries = value.split(",").map((entry) => entry.trim());
  // Fewer entries than hops: a proxy replaced the header instead of appending, so all are ours.
  return entries[Math.max(0, entries.length - hops)] || undefined;
}

/**
 * Where a request comes from, as the browser says it:
 * - `Sec-Fetch-Site`, when present, decides: the browser's own verdict against the URL it
 *   requested, so it holds behind any proxy; only `same-origin` passes (`same-site` would let a
 *   sibling subdomain in, `none` is a typed-in navigation, never a POST).
 * - else `Origin` (browsers without Fetch Metadata): one serialized origin equal to `expected`.
 *   `null` (sandboxed frames, cross-origin redirects), a list (the header sent twice), a path or
 *   another scheme or port is `cross-site`.
 * - neither: `unknown`, not a browser's cross-site request (browsers send one of the two on
 *   every POST); what to do with it depends on the credentials it carries.
 * This is the order Go's net/http CrossOriginProtection uses.
 */
export function requestSite(headers: Headers, expected: string | null): "same-origin" | "cross-site" | "unknown" {
  const fetchSite = headers.get("sec-fetch-site");
  if (fetchSite !== null) return fetchSite === "same-origin" ? "same-origin" : "cross-site";
  const origin = headers.get("origin");
  if (origin === null) return "unknown";
  return expected !== null && serializedOrigin(origin) === expected ? "same-origin" : "cross-site";
}

/** `origin` as the URL parser serializes it, if it is one http(s) origin written as browsers write it; else null. */
function serializedOrigin(origin: string): string | null {
  if (!/^https?:\/\/[^\s/\\?#@,]+$/i.test(origin)) return null;
  try {
    const parsed = new URL(origin).origin;
    // Browsers send the serialization itself; `:443` on https, say, is not one.
    return parsed === origin.toLowerCase() ? parsed : null;
  } catch {
    return null;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The one route whose POSTs come from elsewhere by design; its signature is its authentication. */
export const STRIPE_WEBHOOK_PATH = "/api/webhooks/stripe";

/**
 * Whether a request must come from this site's own pages before it may change anything: any
 * method but GET, HEAD and OPTIONS, on any path (not only `/api/`, so that no spelling of a
 * path that Next.js normalizes differently slips past; the pages take no POSTs), except the
 * Stripe webhook and a request that authenticates with `Authorization: Bearer` (API keys, the
 * cron and metrics tokens): a page on another site cannot set that header without a CORS
 * preflight, which this app never grants. Other Authorization schemes do not exempt: a
 * browser re-sends cached Basic credentials on its own.
 */
export function needsSameOrigin(method: string, pathname: string, headers: Headers): boolean {
  if (SAFE_METHODS.has(method.toUpperCase())) return false;
  if (pathname === STRIPE_WEBHOOK_PATH) return false;
  return !/^Bearer(\s|$)/i.test(headers.get("authorization") ?? "");
}

export type SiteConfig = OriginConfig & { AUTH_SECRET: string };

/**
 * Whether a state-changing request must be refused as cross-site (needsSameOrigin first): the
 * browser says it comes from elsewhere; or, saying nothing (not a browser's cross-site
 * request, which always says), it would act through a valid session cookie (scripts use API
 * keys). A forged or expired cookie is left to the route, which answers 401. Decoding the
 * cookie happens only on that last, rare path.
 */
export async function isCrossSite(request: Request, origin: string | null, config: SiteConfig): Promise<boolean> {
  const site = requestSite(request.headers, origin);
  if (site !== "unknown") return site === "cross-site";
  // Decoded as requireUser decodes it: Auth.js names the cookie `__Secure-…` when the site is https.
  const secureCookie = new URL(config.AUTH_URL ?? request.url).protocol === "https:";
  const token = await getToken({ req: request, secret: config.AUTH_SECRET, secureCookie, logger: authLogger() });
  return Boolean(token?.sub);
}
