import { getCsrfToken } from "next-auth/react";
import type { SignInInput } from "@/lib/schemas/sign-in";
import { signInErrorMessage, tooManyAttemptsMessage } from "./sign-in-error-message";

export type PasswordSignIn = { outcome: "signed-in" } | { outcome: "refused" | "throttled"; message: string };

/**
 * Signs in with a password through Auth.js's credentials callback, the requests
 * next-auth/react's signIn() makes (the CSRF token, then a form POST that asks for the
 * redirect as JSON), but reads the answer itself: a throttled attempt is a 429 whose wait is
 * in Retry-After, which signIn() does not report. Throws when the server cannot be reached.
 */
export async function signInWithPassword(credentials: SignInInput, callbackUrl: string): Promise<PasswordSignIn> {
  // Auth.js's own endpoint, not the API: it is not in the OpenAPI document, so not in the typed client.
  // eslint-disable-next-line no-restricted-syntax
  const response = await fetch("/api/auth/callback/credentials", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Auth-Return-Redirect": "1" },
    body: new URLSearchParams({ ...credentials, csrfToken: (await getCsrfToken()) ?? "", callbackUrl }),
  });
  if (response.status === 429) return { outcome: "throttled", message: tooManyAttemptsMessage(response.headers.get("retry-after")) };

  const body: unknown = response.ok ? await response.json().catch(() => null) : null;
  const url = body && typeof body === "object" && "url" in body && typeof body.url === "string" ? new URL(body.url, window.location.href) : null;
  // Auth.js sends a failed sign-in to the sign-in page with `?error=<type>`.
  const error = url ? url.searchParams.get("error") : "unavailable";
  return error ? { outcome: "refused", message: signInErrorMessage(error)! } : { outcome: "signed-in" };
}
