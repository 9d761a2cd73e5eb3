-- Stripe replays a stored 500 for the same idempotency key for 24 h. After such an answer,
-- with no object at Stripe for the key, the engine moves to the next generation of the
-- derived Stripe key (payment-intent/<row id>/<n>) instead of re-driving the poisoned one
-- (docs/decisions/006-poisoned-stripe-keys.md).
ALTER TABLE "idempotency_keys" ADD COLUMN "stripe_key_generation" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_stripe_key_generation_range"
  CHECK ("stripe_key_generation" BETWEEN 0 AND 100);
