import "server-only";
import Stripe from "stripe";
import { providerError } from "./provider-error";

/**
 * A failure Stripe may have stored under the request's idempotency key. Stripe saves the
 * result of a keyed request once the endpoint began executing, 500s included, and replays it
 * for that key for 24 h (docs.stripe.com/api/idempotent_requests, docs.stripe.com/error-low-level);
 * only validation failures and conflicts with a concurrent request are not saved. A re-drive
 * under the same key may then meet the same 500 for a day, whether or not the object exists.
 */
export function isStoredFailure(error: unknown): boolean {
  return error instanceof Stripe.errors.StripeError && (error.statusCode ?? 0) >= 500;
}

/**
 * After a stored failure: the object the failed call made, if it made one (found without
 * indexing lag: by id or by list and our metadata, see find-at-stripe.ts), to be recorded as
 * the answer; otherwise the derived key is retired, so the client's retry runs under the next
 * generation instead of meeting the stored 500 again, and `failure` is answered as transient.
 * Never two objects for one request: a new generation is used only once Stripe shows none.
 */
export async function adoptOrRetire<T>(failure: unknown, find: () => Promise<T | null>, retireStripeKey: () => Promise<void>): Promise<T> {
  let made: T | null;
  try {
    made = await find();
  } catch {
    // Unknown whether the failed call made anything: answer the original failure (transient),
    // keeping the row and its key as they are, so the next attempt looks again.
    throw providerError(failure);
  }
  if (made) return made;
  await retireStripeKey();
  throw providerError(failure);
}
