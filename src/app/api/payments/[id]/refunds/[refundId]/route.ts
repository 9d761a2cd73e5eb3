import { requireUser } from "@/server/auth/require-user";
import { ApiError } from "@/server/http/api-error";
import { otherMethods } from "@/server/http/other-methods";
import { resourceId } from "@/server/http/resource-id";
import { withRoute } from "@/server/http/with-route";
import { getPayment } from "@/server/payments/get-payment";

export const dynamic = "force-dynamic";

/** One refund of one of the caller's payments: where a created refund's Location points. */
export const GET = withRoute<{ id: string; refundId: string }>(async ({ request, params }) => {
  const user = await requireUser(request);
  const paymentId = resourceId(params.id, "No such payment.");
  const refundId = resourceId(params.refundId, "No such refund.");
  const refund = (await getPayment(user.id, paymentId)).refunds.find((r) => r.id === refundId);
  if (!refund) throw new ApiError("not_found", "No such refund.");
  return Response.json(refund, { headers: { "Cache-Control": "no-store" } });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods(["GET"]);
