import { z } from "zod";
import { revokeApiKey } from "@/server/auth/api-keys";
import { requireUser } from "@/server/auth/require-user";
import { ApiError } from "@/server/http/api-error";
import { withRoute } from "@/server/http/with-route";

export const dynamic = "force-dynamic";

/** Revokes one of the caller's keys; another user's key is a 404, like a missing one. */
export const DELETE = withRoute<{ id: string }>(async ({ request, params, annotate }) => {
  const user = await requireUser(request);
  annotate({ userId: user.id, apiKeyId: params.id });
  const revoked = z.uuid().safeParse(params.id).success ? await revokeApiKey(user.id, params.id) : null;
  if (!revoked) throw new ApiError("not_found", "No API key with this id.");
  return Response.json(revoked, { headers: { "Cache-Control": "no-store" } });
});
