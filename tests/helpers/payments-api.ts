import { randomUUID } from "node:crypto";
import { GET as getPayment } from "@/app/api/payments/[id]/route";
import { GET as listPayments, POST as postPayment } from "@/app/api/payments/route";
import { PAYMENTS_PATH, paymentPath } from "@/lib/routes";
import { createUser } from "./database";
import { apiKeyFor } from "./auth";

export const VALID_PAYMENT = { amount: 2_500, currency: "eur", paymentMethod: "pm_card_visa" } as const;

export type TestCustomer = { id: string; email: string; headers: Record<string, string> };

/** A fresh user with an API key, ready to call the API. */
export async function customer(): Promise<TestCustomer> {
  const user = await createUser();
  return { id: user.id, email: user.email, headers: { Authorization: `Bearer ${await apiKeyFor(user.id)}` } };
}

type PayOptions = {
  /** Default: a fresh key. null: no header. An array: one header line per element. */
  key?: string | string[] | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
};

/** POST /api/payments through the real route handler. */
export function pay(who: TestCustomer | null, options: PayOptions = {}): Promise<Response> {
  const headers = new Headers({ "Content-Type": "application/json", ...who?.headers, ...options.headers });
  const key = options.key === undefined ? randomUUID() : options.key;
  for (const line of key === null ? [] : [key].flat()) headers.append("Idempotency-Key", line);
  const body = options.rawBody ?? JSON.stringify(options.body ?? VALID_PAYMENT);
  return postPayment(new Request(`http://localhost${PAYMENTS_PATH}`, { method: "POST", headers, body }), noParams());
}

export function list(who: TestCustomer, query = ""): Promise<Response> {
  return listPayments(new Request(`http://localhost${PAYMENTS_PATH}${query}`, { headers: who.headers }), noParams());
}

export function show(who: TestCustomer, id: string): Promise<Response> {
  return getPayment(new Request(`http://localhost${paymentPath(id)}`, { headers: who.headers }), {
    params: Promise.resolve({ id }),
  });
}

function noParams() {
  return { params: Promise.resolve({}) };
}
