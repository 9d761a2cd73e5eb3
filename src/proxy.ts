import { randomBytes } from "node:crypto";
import { NextResponse, type NextRequest } from "next/server";
import { env, stripeJsConfig } from "@/env";
import { problem, problemResponse } from "@/server/http/problem";
import { appOrigin, isCrossSite, needsSameOrigin } from "@/server/http/same-origin";
import { securityHeaders, stripeOrigins } from "@/server/http/security-headers";
import { logger } from "@/server/logger";

/**
 * Next.js 16's proxy (formerly middleware; Node.js runtime), run for every request but the
 * API's, static files included: it sets the pages' security headers (security-headers.ts,
 * with the CSP nonce Next.js puts on their scripts) and refuses state-changing requests from
 * other sites (same-origin.ts). The API's routes do both themselves, in withRoute, with fixed
 * headers: running the proxy for every API request cost a replay more CPU than the replay.
 */
export async function proxy(request: NextRequest): Promise<Response> {
  if (request.nextUrl.pathname.startsWith("/api/")) return undecodableApiPath(request);
  const config = env();
  const origin = appOrigin(request.headers, config);
  const { pathname } = request.nextUrl;
  const headers = securityHeaders({
    nonce: randomBytes(16).toString("base64"),
    stripe: stripeOrigins(stripeJsConfig(config)),
    https: origin?.startsWith("https:") ?? false,
    development: config.NODE_ENV === "development" ? { hmrSocket: devSocket(request) } : null,
  });
  // A header set here comes first, and Next.js then keeps it over the page's own
  // (send-response.js, send-payload.js): so pages only; static files are the same for everyone.
  if (isPage(pathname) && isAuthenticated(request)) headers["Cache-Control"] = "no-store";

  if (needsSameOrigin(request.method, pathname, request.headers) && (await isCrossSite(request, origin, config))) {
    return refusal(request, origin, headers);
  }

  // Next.js reads the nonce from the request's CSP and puts it on the page's scripts.
  const forwarded = new Headers(request.headers);
  forwarded.set("content-security-policy", headers["Content-Security-Policy"]!);
  const response = NextResponse.next({ request: { headers: forwarded } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

/** 403 forbidden_origin, with the headers every response has, and a warning in the log. */
function refusal(request: NextRequest, expectedOrigin: string | null, headers: Record<string, string>): Response {
  const requestId = `req_${randomBytes(12).toString("hex")}`;
  const { method, nextUrl } = request;
  const [origin, secFetchSite] = [request.headers.get("origin"), request.headers.get("sec-fetch-site")];
  logger().warn({ requestId, method, path: nextUrl.pathname, origin, secFetchSite, expectedOrigin }, "cross-site request refused");
  const detail = "Only this site's own pages may send this request; scripts authenticate with an API key (Authorization: Bearer).";
  return problemResponse(problem("forbidden_origin", detail, requestId), { ...headers, "X-Request-Id": requestId });
}

/**
 * `next dev`'s HMR websocket, on the host the browser asked for (AUTH_URL may name another,
 * localhost for 127.0.0.1). 'self' already covers it in CSP Level 3 browsers.
 */
function devSocket(request: NextRequest): string {
  const page = appOrigin(request.headers, { TRUSTED_PROXY_HOPS: 0 }) ?? "http://localhost";
  return page.replace(/^http/, "ws");
}

/** A page (or its RSC payload): not the API, not Next.js's assets, not a file such as /icon.svg. */
function isPage(pathname: string): boolean {
  return !pathname.startsWith("/api/") && !pathname.startsWith("/_next/") && !/\.[^/]*$/.test(pathname);
}

/** Auth.js's session cookie (`__Secure-` over https, `.0`, `.1`… when chunked) or an Authorization header. */
function isAuthenticated(request: NextRequest): boolean {
  return (
    request.headers.has("authorization") ||
    request.cookies.getAll().some((cookie) => /^(__Secure-)?authjs\.session-token(\.\d+)?$/.test(cookie.name))
  );
}

/**
 * An API path whose percent-encoding does not decode (`%FF`, `%C0%AF`, a lone `%`): Next.js's
 * router would throw decoding its parameters and answer a bare 500 (its 400 page does not
 * exist in an App Router app). Taken literally instead (every `%` as `%25`), the path reaches
 * its route, which answers as it does for any id that names nothing: 404, or 405 for a method
 * it does not serve. Any other API path goes on untouched.
 */
function undecodableApiPath(request: NextRequest): Response {
  const { pathname } = request.nextUrl;
  try {
    decodeURIComponent(pathname);
    return NextResponse.next();
  } catch {
    const literal = request.nextUrl.clone();
    literal.pathname = pathname.replaceAll("%", "%25");
    return NextResponse.rewrite(literal);
  }
}

/**
 * Every page and static file; of the API (whose routes set their own headers and refuse
 * cross-site requests, with-route.ts) only a path with a percent sign, checked by
 * undecodableApiPath: the API's ids and keys rarely have one, so the API almost never pays for the proxy.
 */
export const config = { matcher: ["/((?!api/).*)", "/api/(.*%.*)"] };
