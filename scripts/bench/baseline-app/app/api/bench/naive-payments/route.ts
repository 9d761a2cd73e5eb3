import { createPaymentSchema } from "@/lib/schemas/payment";
import { parseJsonBody } from "@/server/http/parse-json-body";
import { withKeyedRoute } from "@/server/http/with-keyed-route";
import { naiveCreatePayment } from "../../../../naive-create-payment";

export const dynamic = "force-dynamic";

/** The tutorial's design, behind the same authentication and key parsing as POST /api/payments. */
export const POST = withKeyedRoute(async ({ request, user, key }) => {
  const input = await parseJsonBody(request, createPaymentSchema);
  const result = await naiveCreatePayment(user.id, key, input);
  return Response.json(result.body, { status: result.status });
});
