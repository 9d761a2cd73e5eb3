import { randomUUID } from "node:crypto";
import { GET as getRefund } from "@/app/api/payments/[id]/refunds/[refundId]/route";
import { GET as listRefunds, POST as postRefund } from "@/app/api/payments/[id]/refunds/route";
import { refundsPath } from "@/lib/routes";
import type { TestCustomer } from "./payments-api";

type RefundOptions = { key?: string | null; body?: unknown; headers?: Record<string, string> };

/** POST /api/payments/{id}/refunds through the real route handler; body `{}` unless given. */
export function refund(who: TestCustomer | null, paymentId: string, options: RefundOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { "Content-Type": "application/json", ...who?.headers, ...options.headers };
  const key = options.key === undefined ? randomUUID() : options.key;
  if (key !== null) headers["Idempotency-Key"] = key;
  const request = new Request(`http://localhost${refundsPath(paymentId)}`, {
    method: "POST",
    headers,
    body: JSON.stringify(options.body ?? {}),
  });
  return postRefund(request, { params: Promise.resolve({ id: paymentId }) });
}

export function refundsOf(who: TestCustomer, paymentId: string): Promise<Response> {
  return listRefunds(new Request(`http://localhost${refundsPath(paymentId)}`, { headers: who.headers }), {
    params: Promise.resolve({ id: paymentId }),
  });
}

/** GET of a created refund's Location. */
export function showRefund(who: TestCustomer, location: string): Promise<Response> {
  const [, , , id, , refundId] = location.split("/");
  return getRefund(new Request(`http://localhost${location}`, { headers: who.headers }), {
    params: Promise.resolve({ id: id!, refundId: refundId! }),
  });
}
