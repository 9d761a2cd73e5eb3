import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";
import { CredentialsSignin } from "next-auth";
import { env } from "@/env";
import { ApiError } from "@/server/http/api-error";
import { countInWindow, forgetBucket, throttleBuckets, uncount } from "./throttle-windows";
import { verifyCredentials, type VerifiedUser } from "./verify-credentials";

/**
 * A sign-in refused because its account or its address failed too often. Auth.js answers
 * an error of authorize() with a redirect (or `{ url }`) to the sign-in page carrying
 * `error=CredentialsSignin&code=rate_limited`; answerThrottledSignIns turns that into a 429.
 */
class SignInThrottled extends CredentialsSignin {
  override code = "rate_limited";
}

/** Where authorize() leaves the Retry-After of a refusal for the route that called Auth.js. */
const refusals = new AsyncLocalStorage<{ retryAfter?: number }>();

/**
 * verifyCredentials, throttled: at most AUTH_MAX_FAILURES_PER_ACCOUNT failed sign-ins per
 * account and AUTH_MAX_FAILURES_PER_ADDRESS per client address in a window of
 * AUTH_THROTTLE_WINDOW_SECONDS; past either, the attempt is refused (SignInThrottled) before
 * the password is checked.
 *
 * The attempt is counted first, in one atomic statement, and taken back only once it has
 * succeeded: concurrent attempts cannot all see a count under the limit and all go on to
 * guess. Refused attempts count too. A success forgets the account's failures, and its own
 * attempt is taken off the address's count, which so counts failures only: an office behind
 * one address is not locked out by its colleagues signing in.
 *
 * Nothing here tells accounts apart: an unknown email has a bucket like any other (its
 * failures count the same way), a refusal costs the same single statement for both, and
 * the password check that follows costs a full hash for both (verifyCredentials).
 */
export async function verifyThrottledCredentials(email: string, password: string, address: string): Promise<VerifiedUser | null> {
  const { AUTH_MAX_FAILURES_PER_ACCOUNT, AUTH_MAX_FAILURES_PER_ADDRESS, AUTH_THROTTLE_WINDOW_SECONDS } = env();
  const account = throttleBuckets.signInAccount(email);
  const from = throttleBuckets.signInAddress(address);
  const {
    counts: [accountCount, addressCount],
    windowStart,
    retryAfter,
  } = await countInWindow([account, from], AUTH_THROTTLE_WINDOW_SECONDS);
  if (accountCount! > AUTH_MAX_FAILURES_PER_ACCOUNT || addressCount! > AUTH_MAX_FAILURES_PER_ADDRESS) {
    const refusal = refusals.getStore();
    if (refusal) refusal.retryAfter = retryAfter;
    throw new SignInThrottled();
  }

  const user = await verifyCredentials(email, password);
  // Two statements, not one: each holds one row at a time, so neither can deadlock with
  // countInWindow, which holds the account's row while it waits for the address's.
  if (user) await Promise.all([forgetBucket(account), uncount(from, windowStart)]);
  return user;
}

/**
 * Runs Auth.js's handler of one request and answers a sign-in that verifyThrottledCredentials
 * refused with a 429 `rate_limited` problem and `Retry-After` instead of Auth.js's own answer
 * (a redirect, or 200 with a URL, like any wrong password). The answer is the same whichever
 * account was asked for: the same body, and a Retry-After that is the end of a window all
 * buckets share.
 */
export async function answerThrottledSignIns(handle: () => Promise<Response>): Promise<Response> {
  const refusal: { retryAfter?: number } = {};
  const response = await refusals.run(refusal, handle);
  if (refusal.retryAfter === undefined) return response;
  throw new ApiError("rate_limited", "Too many sign-in attempts; retry after the time in Retry-After.", {
    retryAfter: refusal.retryAfter,
  });
}
