import "server-only";
import type { IdempotencyKeyResponse, IdempotencyKeyState } from "@/lib/schemas/idempotency-key-response";
import { paymentPath, refundPath } from "@/lib/routes";
import type { KeyStatusRow } from "./key-store";

/** The state a client sees of a key row (idempotency-key-response.ts says what each means). */
export function keyState(row: KeyStatusRow): IdempotencyKeyState {
  if (row.recoveryPoint === "finished") return row.expired ? "expired" : "completed";
  if (row.recoveryPoint === "needs_reconciliation") return "needs_reconciliation";
  if (row.lockHeld) return "in_progress";
  // As the engine classifies it: too old to re-drive under Stripe's key window, only the reconciler may finish it.
  return row.tooOldToRedrive ? "needs_reconciliation" : "interrupted";
}

export function keyStatusView(row: KeyStatusRow): IdempotencyKeyResponse {
  return {
    key: row.key,
    state: keyState(row),
    method: row.method,
    path: row.path,
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt.toISOString(),
    status: row.responseStatus,
    resource: resourceOf(row),
  };
}

function resourceOf(row: KeyStatusRow): string | null {
  if (row.paymentId) return paymentPath(row.paymentId);
  if (row.refundId && row.refundPaymentId) return refundPath(row.refundPaymentId, row.refundId);
  return null;
}
