import { revokeApiKey } from "@/server/auth/api-keys";
import { ApiError } from "@/server/http/api-error";
import { resourceId } from "@/server/http/resource-id";
import { route } from "@/server/http/route";
import { withUser } from "@/server/http/with-user";

export const dynamic = "force-dynamic";

const NO_SUCH_KEY = "No API key with this id.";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  /** Revokes one of the caller's keys; another user's key is a 404, like a missing one. */
  DELETE: withUser<{ id: string }>(async ({ params, user, annotate }) => {
    annotate({ apiKeyId: params.id });
    const revoked = await revokeApiKey(user.id, resourceId(params.id, NO_SUCH_KEY));
    if (!revoked) throw new ApiError("not_found", NO_SUCH_KEY);
    return Response.json(revoked);
  }),
});
