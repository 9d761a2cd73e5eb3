import { createApiKeySchema } from "@/lib/schemas/api-key";
import { createApiKey, listApiKeys } from "@/server/auth/api-keys";
import { ApiError } from "@/server/http/api-error";
import { parseJsonBody } from "@/server/http/parse-json-body";
import { route } from "@/server/http/route";
import { withUser } from "@/server/http/with-user";

export const dynamic = "force-dynamic";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  /** The caller's API keys, newest first; never a hash or a secret. */
  GET: withUser(async ({ user }) => Response.json({ data: await listApiKeys(user.id) })),

  /** A new key; the secret is in this response and never again. */
  POST: withUser(async ({ request, user }) => {
    // A leaked key must not be able to mint keys that outlive its own revocation.
    if (user.via !== "session") throw new ApiError("forbidden", "API keys are created from a signed-in session.");
    const { name } = await parseJsonBody(request, createApiKeySchema);
    const { apiKey, secret } = await createApiKey(user.id, name);
    return Response.json({ ...apiKey, secret }, { status: 201 });
  }),
});
