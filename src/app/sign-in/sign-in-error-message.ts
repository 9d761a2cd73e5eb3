/** One message for a wrong email and a wrong password: saying which would reveal accounts. */
const MESSAGES: Record<string, string> = {
  CredentialsSignin: "Wrong email or password.",
  OAuthAccountNotLinked: "An account with this email already exists. Sign in with its password.",
  AccessDenied: "Sign-in was cancelled or refused.",
  MissingCSRF: "The page was open too long. Try again.",
};

/** What to tell the user for an Auth.js error type (`?error=` or a signIn() result). */
export function signInErrorMessage(code: string | null | undefined): string | null {
  if (!code) return null;
  return MESSAGES[code] ?? "Sign-in is not available right now. Try again in a moment.";
}

/**
 * What to tell the user when sign-in or sign-up answered 429: the wait from its Retry-After
 * (seconds), in whole minutes rounded up.
 */
export function tooManyAttemptsMessage(retryAfter: string | null): string {
  const seconds = Number(retryAfter);
  if (!retryAfter || !Number.isFinite(seconds) || seconds <= 0) return "Too many attempts. Try again later.";
  const minutes = Math.ceil(seconds / 60);
  return `Too many attempts. Try again in ${minutes} ${minutes === 1 ? "minute" : "minutes"}.`;
}
