-- A key whose outcome could not be recorded, or whose request failed in a way that is not
-- transient, waits for the reconciler instead of being re-driven for ever
-- (docs/decisions/005-key-states.md).
ALTER TYPE "recovery_point" ADD VALUE 'needs_reconciliation';

-- The Stripe object the keyed request produced (pi_…, re_…), once Stripe has answered:
-- set by completion and by flagging, read by the reconciler and by webhooks.
ALTER TABLE "idempotency_keys" ADD COLUMN "stripe_object_id" TEXT;

-- The reconciler's scan: only unfinished keys, a small fraction of the table.
CREATE INDEX "idempotency_keys_unfinished_idx" ON "idempotency_keys" ("created_at") WHERE "recovery_point" <> 'finished';

-- A finished key always holds the answer it replays, and no lock.
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_finished_has_response"
  CHECK ("recovery_point" <> 'finished' OR ("response_status" IS NOT NULL AND "response_body" IS NOT NULL AND "lock_token" IS NULL));
