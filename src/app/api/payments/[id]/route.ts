import { resourceId } from "@/server/http/resource-id";
import { route } from "@/server/http/route";
import { withUser } from "@/server/http/with-user";
import { getPayment } from "@/server/payments/get-payment";

export const dynamic = "force-dynamic";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  /** One of the caller's payments; another user's id answers 404. */
  GET: withUser<{ id: string }>(async ({ params, user }) =>
    Response.json(await getPayment(user.id, resourceId(params.id, "No such payment."), { refresh: true })),
  ),
});
