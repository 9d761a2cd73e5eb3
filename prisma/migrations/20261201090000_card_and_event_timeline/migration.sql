-- The card a payment was made with, as Stripe reports it (payment_method.card): the receipt
-- and the history show the brand and last four digits. Null when Stripe did not say (a
-- payment recorded from a webhook alone, or before this migration).
ALTER TABLE "payments"
  ADD COLUMN "card_brand" TEXT,
  ADD COLUMN "card_last4" TEXT,
  ADD CONSTRAINT "payments_card_brand_shape" CHECK ("card_brand" IS NULL OR "card_brand" ~ '^[a-z_]{1,32}$'),
  ADD CONSTRAINT "payments_card_last4_digits" CHECK ("card_last4" IS NULL OR "card_last4" ~ '^[0-9]{4}$');

-- Which PaymentIntent an event is about, and when Stripe says it happened (event.created): a
-- payment's timeline is its events in that order (webhooks come in any order).
ALTER TABLE "webhook_events"
  ADD COLUMN "payment_intent_id" TEXT,
  ADD COLUMN "occurred_at" TIMESTAMPTZ(3);

CREATE INDEX "webhook_events_payment_intent_id_occurred_at_idx"
  ON "webhook_events" ("payment_intent_id", "occurred_at") WHERE "payment_intent_id" IS NOT NULL;
