import { requireUser } from "@/server/auth/require-user";
import { otherMethods } from "@/server/http/other-methods";
import { resourceId } from "@/server/http/resource-id";
import { withRoute } from "@/server/http/with-route";
import { getPayment } from "@/server/payments/get-payment";

export const dynamic = "force-dynamic";

/** One of the caller's payments; another user's id answers 404. */
export const GET = withRoute<{ id: string }>(async ({ request, params }) => {
  const user = await requireUser(request);
  const payment = await getPayment(user.id, resourceId(params.id, "No such payment."));
  return Response.json(payment, { headers: { "Cache-Control": "no-store" } });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods(["GET"]);
