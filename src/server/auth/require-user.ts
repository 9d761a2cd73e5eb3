import "server-only";
import { getToken } from "next-auth/jwt";
import { env } from "@/env";
import { ApiError } from "@/server/http/api-error";
import { authenticateApiKey } from "./api-keys";
import { authLogger } from "./auth-logger";

export type AuthenticatedUser = { id: string; email: string; via: "session" | "api_key" };

const CHALLENGE = 'Bearer realm="payments"';

/**
 * The caller of a protected route: the owner of the API key in `Authorization: Bearer`,
 * else the user of the Auth.js session cookie. Never the body. Throws a 401 ApiError with a
 * `WWW-Authenticate` challenge otherwise.
 *
 * A request that sends an Authorization header is judged by it alone: a wrong or revoked
 * key is a 401 even if a session cookie came along, so a script never silently acts as
 * whoever is signed in to the browser it runs beside.
 */
export async function requireUser(request: Request): Promise<AuthenticatedUser> {
  const authorization = request.headers.get("authorization");
  if (authorization !== null) {
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    const user = match?.[1] ? await authenticateApiKey(match[1]) : null;
    if (!user) {
      throw new ApiError("unauthorized", "The API key is invalid or has been revoked.", {
        headers: { "WWW-Authenticate": `${CHALLENGE}, error="invalid_token"` },
      });
    }
    return { id: user.id, email: user.email, via: "api_key" };
  }

  const token = await sessionToken(request);
  if (token?.sub && typeof token.email === "string") return { id: token.sub, email: token.email, via: "session" };
  throw new ApiError("unauthorized", "Sign in, or send an API key as `Authorization: Bearer <key>`.", {
    headers: { "WWW-Authenticate": CHALLENGE },
  });
}

/**
 * Decodes the session JWT from the request's own Cookie header rather than through
 * `auth()`, which reads Next's request context: this works the same in a route handler and
 * when a test calls the handler directly. The JWT is trusted without a database read (it
 * is encrypted and authenticated with AUTH_SECRET), as Auth.js itself does.
 */
async function sessionToken(request: Request) {
  const { AUTH_SECRET, AUTH_URL } = env();
  // Auth.js names its cookie `__Secure-…` when the site is served over https, judged from
  // AUTH_URL when set, else from the request URL; the name is also the JWT's key salt.
  const secureCookie = new URL(AUTH_URL ?? request.url).protocol === "https:";
  return getToken({ req: request, secret: AUTH_SECRET, secureCookie, logger: authLogger() });
}
