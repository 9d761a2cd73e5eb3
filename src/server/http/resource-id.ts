import "server-only";
import { isUuid } from "@/server/payments/is-uuid";
import { ApiError } from "./api-error";

/**
 * The id of a resource named in a path, in its one canonical form: a UUID, lower-cased as
 * PostgreSQL writes it. PostgreSQL reads any case as the same UUID, but the path is also part
 * of an idempotency key's fingerprint, so `/payments/6F1C…/refunds` must become the same
 * string as `/payments/6f1c…/refunds`, or a retry at either would be refused as another
 * request (422). Anything that is not a UUID names nothing: 404, before it reaches a `::uuid`
 * cast that would throw.
 */
export function resourceId(value: string, notFoundDetail = "No such resource."): string {
  if (!isUuid(value)) throw new ApiError("not_found", notFoundDetail);
  return value.toLowerCase();
}
