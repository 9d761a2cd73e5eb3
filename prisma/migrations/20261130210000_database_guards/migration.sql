-- The database guards its own invariants: a write that breaks one is refused by PostgreSQL,
-- whichever code path (API, webhook, reconciler, a hand-written query) attempts it.

-- A refund's status is one of Stripe's (docs.stripe.com/api/refunds/object#refund_object-status).
CREATE TYPE "refund_status" AS ENUM ('pending', 'requires_action', 'succeeded', 'failed', 'canceled');
DROP TRIGGER refunds_keep_payment_amount_refunded ON refunds;
ALTER TABLE "refunds" ALTER COLUMN "status" TYPE "refund_status" USING "status"::"refund_status";
CREATE TRIGGER refunds_keep_payment_amount_refunded
  AFTER INSERT OR UPDATE OF status, amount ON refunds
  FOR EACH ROW EXECUTE FUNCTION payments_amount_refunded_from_refunds();

ALTER TABLE "payments"
  ADD CONSTRAINT "payments_amount_positive" CHECK ("amount" > 0),
  ADD CONSTRAINT "payments_currency_code" CHECK ("currency" ~ '^[a-z]{3}$'),
  ADD CONSTRAINT "payments_amount_refunded_range" CHECK ("amount_refunded" BETWEEN 0 AND "amount"),
  ADD CONSTRAINT "payments_amount_refund_failed_nonnegative" CHECK ("amount_refund_failed" >= 0),
  ADD CONSTRAINT "payments_dispute_amount_nonnegative" CHECK ("dispute_amount" IS NULL OR "dispute_amount" >= 0),
  ADD CONSTRAINT "payments_dispute_whole" CHECK (("dispute_id" IS NULL) = ("dispute_status" IS NULL));

ALTER TABLE "refunds"
  ADD CONSTRAINT "refunds_amount_positive" CHECK ("amount" > 0);

ALTER TABLE "idempotency_keys"
  ADD CONSTRAINT "idempotency_keys_response_status_range" CHECK ("response_status" IS NULL OR "response_status" BETWEEN 100 AND 599),
  ADD CONSTRAINT "idempotency_keys_request_hash_hex" CHECK ("request_hash" ~ '^[0-9a-f]{64}$'),
  ADD CONSTRAINT "idempotency_keys_lock_whole" CHECK (("lock_token" IS NULL) = ("locked_at" IS NULL));

ALTER TABLE "api_keys"
  ADD CONSTRAINT "api_keys_hash_hex" CHECK ("hash" ~ '^[0-9a-f]{64}$');
