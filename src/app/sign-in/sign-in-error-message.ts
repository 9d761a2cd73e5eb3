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
