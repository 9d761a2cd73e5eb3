import { createApiKeySchema } from "@/lib/schemas/api-key";
import { createApiKey, listApiKeys } from "@/server/auth/api-keys";
import { requireUser } from "@/server/auth/require-user";
import { ApiError } from "@/server/http/api-error";
import { parseJsonBody } from "@/server/http/parse-json-body";
import { withRoute } from "@/server/http/with-route";

export const dynamic = "force-dynamic";

/** The caller's API keys, newest first; never a hash or a secret. */
export const GET = withRoute(async ({ request, annotate }) => {
  const user = await requireUser(request);
  annotate({ userId: user.id });
  return Response.json({ data: await listApiKeys(user.id) }, { headers: { "Cache-Control": "no-store" } });
});

/** A new key; the secret is in this response and never again. */
export const POST = withRoute(async ({ request, annotate }) => {
  const user = await requireUser(request);
  annotate({ userId: user.id });
  // A leaked key must not be able to mint keys that outlive its own revocation.
  if (user.via !== "session") throw new ApiError("forbidden", "API keys are created from a signed-in session.");
  const { name } = await parseJsonBody(request, createApiKeySchema);
  const { apiKey, secret } = await createApiKey(user.id, name);
  return Response.json({ ...apiKey, secret }, { status: 201, headers: { "Cache-Control": "no-store" } });
});
