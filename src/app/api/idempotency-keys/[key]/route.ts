import { env } from "@/env";
import { ApiError } from "@/server/http/api-error";
import { route } from "@/server/http/route";
import { withUser } from "@/server/http/with-user";
import { keyStatusView } from "@/server/idempotency/key-status";
import { keyStatus } from "@/server/idempotency/key-store";
import { parseKeyInPath } from "@/server/idempotency/parse-idempotency-key";

export const dynamic = "force-dynamic";

const PREFIX = "/api/idempotency-keys/";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  /**
   * What became of the caller's request with this Idempotency-Key, without sending it again
   * (idempotency-key-response.ts). Another user's key is a 404, like a key never sent.
   */
  GET: withUser<{ key: string }>(async ({ request, user }) => {
    // From the URL as sent, decoded once: Next.js's params would not say whether `%2F` was
    // decoded, and a key may hold any printable character (encodeURIComponent it).
    const segment = new URL(request.url).pathname.slice(PREFIX.length);
    const key = parseKeyInPath(decodeSegment(segment));
    const { IDEMPOTENCY_LOCK_TIMEOUT, IDEMPOTENCY_TTL } = env();
    const row = await keyStatus(user.id, key, { ttlSeconds: IDEMPOTENCY_TTL, lockTimeoutSeconds: IDEMPOTENCY_LOCK_TIMEOUT });
    if (!row) {
      throw new ApiError(
        "not_found",
        "No request with this Idempotency-Key is stored for you: it never arrived, it was refused before it was stored (retry it with this key), or it expired and was deleted (check GET /api/payments).",
      );
    }
    return Response.json(keyStatusView(row), { headers: { "Idempotency-Key-Expires": row.expiresAt.toUTCString() } });
  }),
});

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError("idempotency_key_invalid", "The key in the path is not validly percent-encoded: encode it with encodeURIComponent.");
  }
}
