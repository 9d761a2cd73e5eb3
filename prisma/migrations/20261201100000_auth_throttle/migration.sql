-- Sign-in and sign-up throttling: one counter per (bucket, window start), bumped by one
-- atomic upsert per attempt (src/server/auth/throttle-windows.ts). Buckets are
-- `signin:account:<HMAC-SHA256 of the email, hex>`, `signin:address:<address>` and
-- `signup:address:<address>`; the (window_start) index serves the sweep of past windows.
CREATE TABLE "auth_throttle_windows" (
    "bucket" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "auth_throttle_windows_pkey" PRIMARY KEY ("bucket", "window_start"),
    -- A successful sign-in takes its own attempt back off its address's count: never below 0.
    CONSTRAINT "auth_throttle_windows_count_nonnegative" CHECK ("count" >= 0),
    -- Kind, scope and key, in characters an email hash or an IP address is written with: an
    -- email (anything with an `@`) cannot be stored here by mistake.
    CONSTRAINT "auth_throttle_windows_bucket_shape" CHECK ("bucket" ~ '^[a-z]+:[a-z]+:[0-9a-z.:/]{1,64}$')
);

CREATE INDEX "auth_throttle_windows_window_start_idx" ON "auth_throttle_windows"("window_start");
