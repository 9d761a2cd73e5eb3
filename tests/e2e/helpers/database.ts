import type pg from "pg";
import { queryOnce } from "../../../scripts/lib/pg-once";
import { inject } from "vitest";

export type PaymentRow = {
  id: string;
  status: string;
  amount: number;
  stripe_payment_intent_id: string;
  idempotency_key: string | null;
  failure_code: string | null;
  card_brand: string | null;
  card_last4: string | null;
};

/** The rows the app wrote for a user, newest first: what the browser must not duplicate. */
export async function paymentRowsOf(userId: string): Promise<PaymentRow[]> {
  return query<PaymentRow>(
    `SELECT p.id, p.status, p.amount, p.stripe_payment_intent_id, k.key AS idempotency_key, p.failure_code, p.card_brand, p.card_last4
       FROM payments p LEFT JOIN idempotency_keys k ON k.id = p.idempotency_key_id
      WHERE p.user_id = $1 ORDER BY p.created_at DESC, p.id DESC`,
    [userId],
  );
}

export async function userIdOf(email: string): Promise<string> {
  const [row] = await query<{ id: string }>("SELECT id FROM users WHERE email = $1", [email]);
  if (!row) throw new Error(`no user ${email}`);
  return row.id;
}

/** Sets what a refund would have set; refunds are not part of the pay page. */
export async function markRefunded(paymentId: string, amountRefunded: number): Promise<void> {
  await query("UPDATE payments SET amount_refunded = $2 WHERE id = $1", [paymentId, amountRefunded]);
}

function query<T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> {
  return queryOnce<T>(inject("e2eDatabaseUrl"), text, values);
}
