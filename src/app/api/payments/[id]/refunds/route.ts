import { createRefundSchema } from "@/lib/schemas/refund";
import { requireUser } from "@/server/auth/require-user";
import { keyedResponse } from "@/server/http/keyed-response";
import { parseJsonBody } from "@/server/http/parse-json-body";
import { otherMethods } from "@/server/http/other-methods";
import { resourceId } from "@/server/http/resource-id";
import { withRoute } from "@/server/http/with-route";
import { parseIdempotencyKey } from "@/server/idempotency/parse-idempotency-key";
import { parsePreferWait } from "@/server/idempotency/parse-prefer-wait";
import { createRefund } from "@/server/payments/create-refund";
import { getPayment } from "@/server/payments/get-payment";
import { refundLocation } from "@/server/payments/refund-view";

export const dynamic = "force-dynamic";

/** Refund (part of) a payment, exactly once per Idempotency-Key (docs/API.md). */
export const POST = withRoute<{ id: string }>(async ({ request, params, log, annotate }) => {
  const user = await requireUser(request);
  annotate({ userId: user.id });
  const paymentId = resourceId(params.id, "No such payment.");
  const key = parseIdempotencyKey(request.headers);
  const input = await parseJsonBody(request, createRefundSchema);
  const result = await createRefund(user.id, paymentId, key, input, {
    waitSeconds: parsePreferWait(request.headers),
    log,
    annotate,
  });
  return keyedResponse(result, (refund) => refundLocation(paymentId, refund.id));
});

/** The payment's refunds, oldest first; another user's payment answers 404. */
export const GET = withRoute<{ id: string }>(async ({ request, params }) => {
  const user = await requireUser(request);
  const { refunds } = await getPayment(user.id, resourceId(params.id, "No such payment."));
  return Response.json({ data: refunds }, { headers: { "Cache-Control": "no-store" } });
});

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods(["GET", "POST"]);
