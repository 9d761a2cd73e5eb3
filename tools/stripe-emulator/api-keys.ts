import { type StripeApiError, authenticationError } from "./errors";

/** The API key a request was made with, and the account it belongs to. */
export interface ApiKey {
  /** The account's secret key: `sk_test_<suffix>`, also for a request made with `pk_test_<suffix>`. */
  accountKey: string;
  /** Made with the publishable key, which may only call what Stripe.js calls from a browser. */
  publishable: boolean;
}

const NO_API_KEY =
  "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.";

/**
 * Reads the key of a request, sent as Bearer (as stripe-node and the Stripe.js stand-in do) or as
 * Basic user (as curl -u does). Any `sk_test_…` key is accepted, each its own account; the
 * emulator's convention is that `pk_test_<suffix>` is the publishable key of the account whose
 * secret key is `sk_test_<suffix>`, as a Dashboard shows the two keys of one account side by side.
 */
export function parseApiKey(authorization: string | undefined): ApiKey {
  if (!authorization) throw authenticationError(NO_API_KEY);
  const [scheme = "", credentials = ""] = authorization.trim().split(/\s+/, 2);
  const key =
    scheme.toLowerCase() === "basic"
      ? (Buffer.from(credentials, "base64").toString("utf8").split(":")[0] ?? "")
      : scheme.toLowerCase() === "bearer"
        ? credentials
        : "";
  if (key === "") throw authenticationError(NO_API_KEY);
  const match = /^(sk|pk)_test_(\w+)$/.exec(key);
  if (!match) throw authenticationError(`Invalid API Key provided: ${redact(key)}`);
  return { accountKey: `sk_test_${match[2] ?? ""}`, publishable: match[1] === "pk" };
}

/** The account key for per-account rate limiting, or undefined when authentication will fail anyway. */
export function accountKeyOf(authorization: string | undefined): string | undefined {
  try {
    return parseApiKey(authorization).accountKey;
  } catch {
    return undefined;
  }
}

/**
 * Stripe's answer when a publishable key calls what only a secret key may: 401, as the SDKs'
 * AuthenticationError reports it (e.g. django-rest-framework-stripe#3 quotes the message).
 */
export function publishableKeyRefused(): StripeApiError {
  return authenticationError(
    "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.",
  );
}

function redact(key: string): string {
  if (key.length <= 12) return `${key.slice(0, 3)}${"*".repeat(Math.max(0, key.length - 3))}`;
  return `${key.slice(0, 8)}${"*".repeat(key.length - 12)}${key.slice(-4)}`;
}
