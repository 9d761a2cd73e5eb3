import { createPaymentSchema } from "@/lib/schemas/payment";
import { requireUser } from "@/server/auth/require-user";
import { naiveCreatePayment } from "@/server/bench/naive-create-payment";
import { requireBenchRoutes } from "@/server/bench/require-bench-routes";
import { parseJsonBody } from "@/server/http/parse-json-body";
import { withRoute } from "@/server/http/with-route";
import { parseIdempotencyKey } from "@/server/idempotency/parse-idempotency-key";

export const dynamic = "force-dynamic";

/** Benchmark baseline only (404 unless BENCH_ROUTES=enabled): the tutorial's design. */
export const POST = withRoute(async ({ request }) => {
  requireBenchRoutes();
  const user = await requireUser(request);
  const key = parseIdempotencyKey(request.headers);
  const input = await parseJsonBody(request, createPaymentSchema);
  const result = await naiveCreatePayment(user.id, key, input);
  return Response.json(result.body, { status: result.status });
});
