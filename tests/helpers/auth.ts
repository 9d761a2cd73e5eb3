import { NextRequest } from "next/server";
import { createApiKey } from "@/server/auth/api-keys";
import { handlers } from "@/server/auth/config";

const ORIGIN = "http://localhost";

/** A new API key for the user; returns the secret, ready for `Authorization: Bearer`. */
export async function apiKeyFor(userId: string, name = "test"): Promise<string> {
  return (await createApiKey(userId, name)).secret;
}

/** `name=value` pairs of a response's Set-Cookie headers, as a Cookie request header. */
export function cookiesFrom(...responses: Response[]): string {
  return responses
    .flatMap((response) => response.headers.getSetCookie())
    .map((cookie) => cookie.split(";")[0]!)
    .filter((pair) => !pair.endsWith("=")) // a cleared cookie
    .join("; ");
}

/**
 * Signs in the way a browser does, through the Auth.js route handlers: GET
 * /api/auth/csrf for the token and its cookie, then POST /api/auth/callback/credentials.
 * Returns the callback's response and the Cookie header a browser would then send.
 */
export async function signInWithPassword(email: string, password: string, callbackUrl = "/") {
  const csrf = await handlers.GET(new NextRequest(`${ORIGIN}/api/auth/csrf`));
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const response = await handlers.POST(
    new NextRequest(`${ORIGIN}/api/auth/callback/credentials`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: cookiesFrom(csrf) },
      body: new URLSearchParams({ csrfToken, email, password, callbackUrl }),
    }),
  );
  const session = response.headers.getSetCookie().find((cookie) => cookie.startsWith("authjs.session-token="));
  return { response, cookie: session ? session.split(";")[0]! : null };
}
