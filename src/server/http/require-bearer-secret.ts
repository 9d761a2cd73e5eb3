import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { ApiError } from "./api-error";

/**
 * Guards an operator endpoint with a shared secret sent as `Authorization: Bearer <secret>`.
 * An unset secret disables the endpoint (401 for everyone). Hashing both sides first makes
 * the comparison constant-time whatever the lengths.
 */
export function requireBearerSecret(request: Request, secret: string | undefined, realm: string): void {
  const presented = /^Bearer +(\S+) *$/i.exec(request.headers.get("authorization") ?? "")?.[1];
  const ok = secret !== undefined && presented !== undefined && timingSafeEqual(digest(presented), digest(secret));
  if (!ok) {
    throw new ApiError("unauthorized", secret === undefined ? `${realm} is not configured.` : "Wrong or missing bearer token.", {
      headers: { "WWW-Authenticate": `Bearer realm="${realm}"` },
    });
  }
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
