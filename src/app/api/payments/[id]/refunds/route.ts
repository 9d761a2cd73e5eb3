import { createRefundSchema } from "@/lib/schemas/refund";
import { refundPath } from "@/lib/routes";
import { keyedResponse } from "@/server/http/keyed-response";
import { parseJsonBody } from "@/server/http/parse-json-body";
import { resourceId } from "@/server/http/resource-id";
import { route } from "@/server/http/route";
import { withKeyedRoute } from "@/server/http/with-keyed-route";
import { withUser } from "@/server/http/with-user";
import { createRefund } from "@/server/payments/create-refund";
import { getPayment } from "@/server/payments/get-payment";

export const dynamic = "force-dynamic";

/** The payment in the path: 404 for an id that is not one, before the Idempotency-Key is read. */
const paymentInPath = ({ id }: { id: string }) => ({ paymentId: resourceId(id, "No such payment.") });

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  /** The payment's refunds, oldest first; another user's payment answers 404. */
  GET: withUser(
    async ({ params: { paymentId }, user }) => Response.json({ data: (await getPayment(user.id, paymentId)).refunds }),
    { params: paymentInPath },
  ),

  /** Refund (part of) a payment, exactly once per Idempotency-Key (docs/API.md). */
  POST: withKeyedRoute(
    async ({ request, params: { paymentId }, user, key, waitSeconds, log, annotate }) => {
      const input = await parseJsonBody(request, createRefundSchema);
      const result = await createRefund(user.id, paymentId, key, input, { waitSeconds, log, annotate });
      return keyedResponse(result, (refund) => refundPath(paymentId, refund.id));
    },
    { params: paymentInPath },
  ),
});
