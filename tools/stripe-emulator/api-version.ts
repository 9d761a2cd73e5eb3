import { invalidRequest } from "./errors";

/**
 * The API version the emulator renders, and the account's default version unless the
 * `accountApiVersion` option says otherwise. It is the version stripe-node 23.1.0 pins, which the
 * SDK sends on every request (and the app pins in its Stripe client).
 */
export const DEFAULT_API_VERSION = "2026-10-28.endive";

/** Stripe's version names: a release date, with the release's name since 2024-09-30 (`.acacia`). */
const VERSION_FORMAT = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/;

export function isWellFormedApiVersion(version: string): boolean {
  return VERSION_FORMAT.test(version);
}

/**
 * The versions a request may ask for: the one the emulator renders and the account's default.
 * Stripe refuses a `Stripe-Version` it does not know with a 400 `invalid_request_error`
 * ("Invalid Stripe API version: …"; docs.stripe.com/api/versioning). The emulator knows fewer
 * versions than Stripe, since it can answer in one shape only: it refuses the others rather than
 * answer a request in a shape it did not ask for.
 */
export class ApiVersions {
  private readonly known: ReadonlySet<string>;

  constructor(readonly accountDefault: string = DEFAULT_API_VERSION) {
    if (!isWellFormedApiVersion(accountDefault)) throw new RangeError(`Invalid API version: ${accountDefault}`);
    this.known = new Set([DEFAULT_API_VERSION, accountDefault]);
  }

  /** The version a request is answered in: the header's, or the account's default without one. */
  forRequest(header: string | undefined): string {
    if (header === undefined) return this.accountDefault;
    if (!this.known.has(header)) throw invalidRequest(`Invalid Stripe API version: ${header}`);
    return header;
  }
}
