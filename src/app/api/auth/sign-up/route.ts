import { signUpSchema } from "@/lib/schemas/sign-up";
import { createAccount } from "@/server/auth/create-account";
import { clientAddress } from "@/server/http/client-address";
import { parseJsonBody } from "@/server/http/parse-json-body";
import { route } from "@/server/http/route";
import { withRoute } from "@/server/http/with-route";

export const dynamic = "force-dynamic";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  /**
   * Creates an account that signs in with email and password. It does not sign in: the page
   * then signs in through Auth.js (POST /api/auth/callback/credentials) like any other sign-in.
   */
  POST: withRoute(async ({ request, annotate }) => {
    const user = await createAccount(await parseJsonBody(request, signUpSchema), clientAddress(request.headers));
    annotate({ userId: user.id });
    return Response.json(user, { status: 201 });
  }),
});
