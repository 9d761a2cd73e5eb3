import { createPaymentSchema, listPaymentsQuerySchema } from "@/lib/schemas/payment";
import { paymentPath } from "@/lib/routes";
import { keyedResponse } from "@/server/http/keyed-response";
import { parseJsonBody, validate } from "@/server/http/parse-json-body";
import { route } from "@/server/http/route";
import { withKeyedRoute } from "@/server/http/with-keyed-route";
import { withUser } from "@/server/http/with-user";
import { createPayment } from "@/server/payments/create-payment";
import { listPayments } from "@/server/payments/list-payments";

export const dynamic = "force-dynamic";

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = route({
  /** The caller's payments, newest first: `?limit=&cursor=`. */
  GET: withUser(async ({ request, user }) => {
    const query = validate(listPaymentsQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
    return Response.json(await listPayments(user.id, query));
  }),

  /** Create a payment, exactly once per Idempotency-Key (docs/API.md). */
  POST: withKeyedRoute(async ({ request, user, key, waitSeconds, requestId, log, annotate }) => {
    const input = await parseJsonBody(request, createPaymentSchema);
    const result = await createPayment(user.id, key, input, { requestId, waitSeconds, log, annotate });
    return keyedResponse(result, (payment) => paymentPath(payment.id));
  }),
});
