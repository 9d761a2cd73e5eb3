/**
 * Where to send the user after signing in: `value` when it is a path on this site, else
 * "/". Anything else ("https://evil.example", "//evil.example", "/\evil.example") would be
 * an open redirect that a phishing link could use.
 */
export function safeCallbackUrl(value: string | null | undefined): string {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  try {
    // A path that the URL parser resolves to another origin is not a path.
    const base = "http://app.invalid";
    const url = new URL(value, base);
    return url.origin === base ? `${url.pathname}${url.search}${url.hash}` : "/";
  } catch {
    return "/";
  }
}
