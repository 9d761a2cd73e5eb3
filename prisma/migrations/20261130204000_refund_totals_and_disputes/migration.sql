-- A payment's refunded amount is the sum of its refunds that have not failed or been
-- canceled, kept by the database itself. Stripe's running total (charge.amount_refunded)
-- goes back down when a refund fails, and charge and refund events arrive in any order, so
-- no "raise to the latest total" written by the app can converge, while every refund has its own
-- row and status (refund.created/updated/failed are sent for every refund since API version
-- 2024-10-28.acacia), and their sum always does.
ALTER TABLE "payments" ADD COLUMN "amount_refund_failed" INTEGER NOT NULL DEFAULT 0;

CREATE FUNCTION payments_amount_refunded_from_refunds() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Lock the payment first: the sum below is a new statement, with a snapshot taken after
  -- any concurrent writer of this payment's refunds has committed (READ COMMITTED), so
  -- two refunds written at once are both counted. NO KEY UPDATE, not UPDATE: the refund's
  -- foreign key already holds KEY SHARE on the payment, which UPDATE would deadlock with.
  PERFORM 1 FROM payments WHERE id = NEW.payment_id FOR NO KEY UPDATE;
  UPDATE payments SET
    amount_refunded = totals.live,
    amount_refund_failed = totals.failed,
    updated_at = now()
  FROM (
    SELECT COALESCE(sum(amount) FILTER (WHERE status NOT IN ('failed', 'canceled')), 0) AS live,
      COALESCE(sum(amount) FILTER (WHERE status = 'failed'), 0) AS failed
    FROM refunds WHERE payment_id = NEW.payment_id
  ) AS totals
  WHERE id = NEW.payment_id;
  RETURN NULL;
END $$;

CREATE TRIGGER refunds_keep_payment_amount_refunded
  AFTER INSERT OR UPDATE OF status, amount ON refunds
  FOR EACH ROW EXECUTE FUNCTION payments_amount_refunded_from_refunds();

-- A dispute on the payment's charge (charge.dispute.created / updated / closed).
ALTER TABLE "payments"
  ADD COLUMN "dispute_id" TEXT,
  ADD COLUMN "dispute_status" TEXT,
  ADD COLUMN "dispute_reason" TEXT,
  ADD COLUMN "dispute_amount" INTEGER;
