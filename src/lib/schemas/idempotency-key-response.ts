import { z } from "zod";

/**
 * What became of a request sent with an Idempotency-Key, for a client that lost the answer:
 * - `in_progress`: the request is running now. Retry with the same key (and `Prefer: wait`).
 * - `interrupted`: it stopped before its outcome was recorded (a crash, a timeout, an
 *   outage). Retry with the same key and body: the retry finishes it, never charges twice.
 * - `needs_reconciliation`: its outcome is being looked up at the payment provider; a retry
 *   with the same key answers `outcome_not_recorded` until then, the final answer after.
 * - `completed`: finished; `status` is the answer's HTTP status and `resource` what it made.
 *   A retry with the same key and body replays that answer.
 * - `expired`: finished, and past `expiresAt`: the same key would now start a new request.
 * A key that is not stored (never received, refused before it was stored, or deleted after
 * it expired) is a 404.
 */
export const IDEMPOTENCY_KEY_STATES = ["in_progress", "interrupted", "needs_reconciliation", "completed", "expired"] as const;

export type IdempotencyKeyState = (typeof IDEMPOTENCY_KEY_STATES)[number];

/** GET /api/idempotency-keys/{key}: one of the caller's keys, never its stored body. */
export const idempotencyKeyResponseSchema = z.object({
  key: z.string(),
  state: z.enum(IDEMPOTENCY_KEY_STATES),
  /** The request the key belongs to. */
  method: z.string(),
  path: z.string(),
  createdAt: z.iso.datetime(),
  completedAt: z.iso.datetime().nullable(),
  /** Until when the key replays its answer; the same instant as the `Idempotency-Key-Expires` header. */
  expiresAt: z.iso.datetime(),
  /** HTTP status of the stored answer, once completed. */
  status: z.number().int().nullable(),
  /** The payment or refund the request made (also after a decline), if one is recorded. */
  resource: z.string().nullable(),
});

export type IdempotencyKeyResponse = z.infer<typeof idempotencyKeyResponseSchema>;
