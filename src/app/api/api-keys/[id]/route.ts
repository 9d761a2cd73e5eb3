import { revokeApiKey } from "@/server/auth/api-keys";
import { requireUser } from "@/server/auth/require-user";
import { ApiError } from "@/server/http/api-error";
import { resourceId } from "@/server/http/resource-id";
import { withRoute } from "@/server/http/with-route";

export const dynamic = "force-dynamic";

const NO_SUCH_KEY = "No API key with this id.";

/** Revokes one of the caller's keys; another user's key is a 404, like a missing one. */
export const DELETE = withRoute<{ id: string }>(async ({ request, params, annotate }) => {
  const user = await requireUser(request);
  annotate({ userId: user.id, apiKeyId: params.id });
  const revoked = await revokeApiKey(user.id, resourceId(params.id, NO_SUCH_KEY));
  if (!revoked) throw new ApiError("not_found", NO_SUCH_KEY);
  return Response.json(revoked, { headers: { "Cache-Control": "no-store" } });
});
