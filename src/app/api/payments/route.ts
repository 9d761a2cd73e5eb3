import { createPaymentSchema, listPaymentsQuerySchema } from "@/lib/schemas/payment";
import { requireUser } from "@/server/auth/require-user";
import { keyedResponse } from "@/server/http/keyed-response";
import { parseJsonBody, validate } from "@/server/http/parse-json-body";
import { otherMethods } from "@/server/http/other-methods";
import { withRoute } from "@/server/http/with-route";
import { parseIdempotencyKey } from "@/server/idempotency/parse-idempotency-key";
import { parsePreferWait } from "@/server/idempotency/parse-prefer-wait";
import { createPayment } from "@/server/payments/create-payment";
import { listPayments } from "@/server/payments/list-payments";
import { paymentLocation } from "@/server/payments/payment-view";

export const dynamic = "force-dynamic";

/** Create a payment, exactly once per Idempotency-Key (docs/API.md). */
export const POST = withRoute(async ({ request, requestId, log, annotate }) => {
  const user = await requireUser(request);
  annotate({ userId: user.id });
  const key = parseIdempotencyKey(request.headers);
  const input = await parseJsonBody(request, createPaymentSchema);
  const result = await createPayment(user.id, key, input, {
    requestId,
    waitSeconds: parsePreferWait(request.headers),
    log,
    annotate,
  });
  return keyedResponse(result, (payment) => paymentLocation(payment.id));
});

/** The caller's payments, newest first: `?limit=&cursor=`. */
export const GET = withRoute(async ({ request }) => {
  const user = await requireUser(request);
  const query = Object.fromEntries(new URL(request.url).searchParams);
  const page = await listPayments(user.id, validate(listPaymentsQuerySchema, query));
  return Response.json(page, { headers: { "Cache-Control": "no-store" } });
});

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods(["GET", "POST"]);
