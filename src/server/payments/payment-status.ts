import "server-only";
import { PaymentStatus } from "@prisma/client";

const KNOWN = new Set<string>(Object.values(PaymentStatus));

/**
 * A PaymentIntent status as our PaymentStatus. Stripe may add statuses: an unknown one is
 * treated as `processing` (not final) until a webhook or a reconciliation says more.
 */
export function paymentStatus(intentStatus: string): PaymentStatus {
  return KNOWN.has(intentStatus) ? (intentStatus as PaymentStatus) : PaymentStatus.processing;
}
