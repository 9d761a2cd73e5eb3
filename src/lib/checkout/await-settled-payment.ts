import type { PaymentsClient } from "@payments/client";
import { apiClient } from "../api-client";
import { tolerantPaymentResponseSchema, type TolerantPaymentResponse } from "../schemas/payment-response";

/** Statuses that may still change without the customer paying again. */
const UNSETTLED = new Set(["requires_action", "requires_confirmation", "processing"]);

export function isUnsettled(status: string): boolean {
  return UNSETTLED.has(status);
}

type Options = {
  /** Reads in all, the first included; about a second apart. */
  reads?: number;
  intervalMs?: number;
  fetch?: (request: Request) => Promise<Response>;
  sleep?: (ms: number) => Promise<void>;
};

/**
 * The payment as the server knows it once it settled, after Stripe.js ran 3-D Secure: GET
 * /api/payments/{id} re-reads an unsettled payment from Stripe, so the answer arrives whether
 * or not the webhook did. Bounded: after `reads` the last state read is returned (null if
 * none could be read), and the page says the outcome is still pending.
 */
export async function awaitSettledPayment(paymentId: string, options: Options = {}): Promise<TolerantPaymentResponse | null> {
  const reads = options.reads ?? 15;
  const api = apiClient(options.fetch);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let last: TolerantPaymentResponse | null = null;
  for (let read = 1; read <= reads; read++) {
    last = (await readPayment(api, paymentId)) ?? last;
    if (last && !isUnsettled(last.status)) return last;
    if (read < reads) await sleep(options.intervalMs ?? 1_000);
  }
  return last;
}

async function readPayment(api: PaymentsClient, paymentId: string): Promise<TolerantPaymentResponse | null> {
  try {
    const { data } = await api.GET("/api/payments/{id}", { params: { path: { id: paymentId } } });
    // Read as tolerantly as any payment answer: the typed client checks types, not values.
    const parsed = tolerantPaymentResponseSchema.safeParse(data);
    return parsed.success ? parsed.data : null;
  } catch {
    return null; // a dropped connection: the next read tries again
  }
}
