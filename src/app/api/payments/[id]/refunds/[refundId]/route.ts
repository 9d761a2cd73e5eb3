import { ApiError } from "@/server/http/api-error";
import { resourceId } from "@/server/http/resource-id";
import { route } from "@/server/http/route";
import { withUser } from "@/server/http/with-user";
import { getPayment } from "@/server/payments/get-payment";

export const dynamic = "force-dynamic";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  /** One refund of one of the caller's payments: where a created refund's Location points. */
  GET: withUser<{ id: string; refundId: string }>(async ({ params, user }) => {
    const paymentId = resourceId(params.id, "No such payment.");
    const refundId = resourceId(params.refundId, "No such refund.");
    const refund = (await getPayment(user.id, paymentId)).refunds.find((r) => r.id === refundId);
    if (!refund) throw new ApiError("not_found", "No such refund.");
    return Response.json(refund);
  }),
});
