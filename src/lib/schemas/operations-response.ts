import { z } from "zod";

/** GET /api/health. */
export const healthResponseSchema = z.object({ status: z.literal("ok") });

/** GET /api/cron/cleanup: what one bounded cleanup run did (its CleanupSummary, src/server/ops/cleanup-expired-keys.ts). */
export const cleanupResponseSchema = z.object({
  deleted: z.number().int(),
  remaining: z.number().int(),
  batches: z.number().int(),
  durationMs: z.number(),
  /** Of `durationMs`, the time spent pausing between batches so that traffic does not feel it. */
  pausedMs: z.number(),
  dryRun: z.boolean(),
});

/** GET /api/cron/reconcile: what one bounded reconciler run did with the keys it looked at. */
export const reconcileResponseSchema = z.object({
  /** Finished from Stripe's records: the payment or refund is recorded, retries replay it. */
  recorded: z.number().int(),
  /** Stripe holds nothing for them: deleted, so the same key may be sent again. */
  forgotten: z.number().int(),
  /** A live request holds them, or another run took them first. */
  skipped: z.number().int(),
  /** Still not recordable (the fault persists), or Stripe could not be asked: the next run tries again. */
  unresolved: z.number().int(),
});

/** POST /api/webhooks/stripe: the event was received (and applied, unless `ignored` says why not). */
export const webhookAckResponseSchema = z.object({
  received: z.literal(true),
  /** The event was applied before: nothing changed. */
  duplicate: z.literal(true).optional(),
  /** Why a verified event was not applied; Stripe should not deliver it again. */
  ignored: z.string().optional(),
});

/** POST /api/auth/sign-up: the new account (it is not signed in). */
export const accountResponseSchema = z.object({ id: z.string(), email: z.string(), name: z.string().nullable() });
