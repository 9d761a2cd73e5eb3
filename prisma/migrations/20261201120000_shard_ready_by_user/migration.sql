-- Shard-ready by user (docs/SCALING.md, docs/decisions/011-shard-ready-by-user.md).
--
-- Every per-user table (api_keys, idempotency_keys, payments, refunds, rate_limit_windows) can
-- be distributed by user_id in a distributed PostgreSQL (Citus: create_distributed_table(…,
-- 'user_id', colocate_with => …)), with `users` a reference table. Such a database enforces a
-- primary or unique key only when it includes the distribution column, and a foreign key
-- between distributed tables only when it includes it on both sides (the rows are then on the
-- same node). So:
--   * each primary key becomes (user_id, id); ids stay random UUIDs made by the app;
--   * the unique Stripe ids become unique per user: a PaymentIntent or refund is recorded under
--     the user its key row names, and every statement that looks one up names that user;
--   * foreign keys between per-user tables carry user_id: a refund's payment, a payment's or a
--     refund's key row are the same user's, which the database now checks too;
--   * an API key's hash stays indexed for authentication, which looks a key up by its hash
--     alone (the token is all a caller presents): the one cross-user read of a request, named
--     in the shard-safety test's allow-list. Its uniqueness is per user; across users it rests
--     on 256 random bits per secret (src/server/auth/api-keys.ts).
-- ON DELETE SET NULL (column) — PostgreSQL 15 — clears only the key reference when a key row
-- is cleaned up, never user_id.

ALTER TABLE "payments" DROP CONSTRAINT "payments_idempotency_key_id_fkey";
ALTER TABLE "refunds" DROP CONSTRAINT "refunds_payment_id_fkey";
ALTER TABLE "refunds" DROP CONSTRAINT "refunds_idempotency_key_id_fkey";

ALTER TABLE "idempotency_keys" DROP CONSTRAINT "idempotency_keys_pkey";
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("user_id", "id");

ALTER TABLE "payments" DROP CONSTRAINT "payments_pkey";
ALTER TABLE "payments" ADD CONSTRAINT "payments_pkey" PRIMARY KEY ("user_id", "id");
DROP INDEX "payments_stripe_payment_intent_id_key";
CREATE UNIQUE INDEX "payments_user_id_stripe_payment_intent_id_key" ON "payments"("user_id", "stripe_payment_intent_id");
-- Webhooks of refunds and disputes name only the PaymentIntent: its user is read by it alone.
CREATE INDEX "payments_stripe_payment_intent_id_idx" ON "payments"("stripe_payment_intent_id");
DROP INDEX "payments_idempotency_key_id_idx";
CREATE INDEX "payments_user_id_idempotency_key_id_idx" ON "payments"("user_id", "idempotency_key_id");

ALTER TABLE "refunds" DROP CONSTRAINT "refunds_pkey";
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_pkey" PRIMARY KEY ("user_id", "id");
DROP INDEX "refunds_stripe_refund_id_key";
CREATE UNIQUE INDEX "refunds_user_id_stripe_refund_id_key" ON "refunds"("user_id", "stripe_refund_id");
DROP INDEX "refunds_payment_id_idx";
DROP INDEX "refunds_user_id_idx";
CREATE INDEX "refunds_user_id_payment_id_idx" ON "refunds"("user_id", "payment_id");
DROP INDEX "refunds_idempotency_key_id_idx";
CREATE INDEX "refunds_user_id_idempotency_key_id_idx" ON "refunds"("user_id", "idempotency_key_id");

ALTER TABLE "api_keys" DROP CONSTRAINT "api_keys_pkey";
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_pkey" PRIMARY KEY ("user_id", "id");
DROP INDEX "api_keys_hash_key";
CREATE UNIQUE INDEX "api_keys_user_id_hash_key" ON "api_keys"("user_id", "hash");
CREATE INDEX "api_keys_hash_idx" ON "api_keys"("hash");
-- The primary key's index leads with user_id: the old one on user_id alone is redundant.
DROP INDEX "api_keys_user_id_idx";

ALTER TABLE "payments" ADD CONSTRAINT "payments_idempotency_key_fkey"
  FOREIGN KEY ("user_id", "idempotency_key_id") REFERENCES "idempotency_keys"("user_id", "id")
  ON DELETE SET NULL ("idempotency_key_id") ON UPDATE CASCADE;
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_payment_fkey"
  FOREIGN KEY ("user_id", "payment_id") REFERENCES "payments"("user_id", "id")
  ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_idempotency_key_fkey"
  FOREIGN KEY ("user_id", "idempotency_key_id") REFERENCES "idempotency_keys"("user_id", "id")
  ON DELETE SET NULL ("idempotency_key_id") ON UPDATE CASCADE;

-- The refund totals trigger (migration 20261130204000) reads and writes only the refund's own
-- user's rows: on a distributed database it runs on the shard that holds them.
CREATE OR REPLACE FUNCTION payments_amount_refunded_from_refunds() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Lock the payment first: the sum below is a new statement, with a snapshot taken after
  -- any concurrent writer of this payment's refunds has committed (READ COMMITTED), so
  -- two refunds written at once are both counted. NO KEY UPDATE, not UPDATE: the refund's
  -- foreign key already holds KEY SHARE on the payment, which UPDATE would deadlock with.
  PERFORM 1 FROM payments WHERE user_id = NEW.user_id AND id = NEW.payment_id FOR NO KEY UPDATE;
  UPDATE payments SET
    amount_refunded = totals.live,
    amount_refund_failed = totals.failed,
    updated_at = now()
  FROM (
    SELECT COALESCE(sum(amount) FILTER (WHERE status NOT IN ('failed', 'canceled')), 0) AS live,
      COALESCE(sum(amount) FILTER (WHERE status = 'failed'), 0) AS failed
    FROM refunds WHERE user_id = NEW.user_id AND payment_id = NEW.payment_id
  ) AS totals
  WHERE payments.user_id = NEW.user_id AND payments.id = NEW.payment_id;
  RETURN NULL;
END $$;
