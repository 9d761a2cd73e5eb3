import "server-only";
import { keyExpiryHeaders, type KeyedResponse } from "@/server/idempotency/with-idempotency";
import { PROBLEM_CONTENT_TYPE } from "./problem";

/**
 * The HTTP answer of a keyed request, first or replayed: the stored status and exact body,
 * `Idempotent-Replayed: true` on a replay, `Location` for a created resource, and
 * `Idempotency-Key-Expires`.
 */
export function keyedResponse(result: KeyedResponse, location?: (body: { id: string }) => string): Response {
  const headers = new Headers({
    "Content-Type": result.status >= 400 ? PROBLEM_CONTENT_TYPE : "application/json",
    ...keyExpiryHeaders(result.expiresAt),
  });
  if (result.replayed) headers.set("Idempotent-Replayed", "true");
  if (result.status === 201 && location) headers.set("Location", location(JSON.parse(result.body) as { id: string }));
  return new Response(result.body, { status: result.status, headers });
}
