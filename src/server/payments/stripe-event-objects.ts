import "server-only";
import { RefundStatus } from "@prisma/client";
import { z } from "zod";

/**
 * The parts of a Stripe event that this app reads, validated before any of it reaches SQL.
 * The signature proves who sent the bytes, not that they hold what we expect: a field of the
 * wrong type would otherwise fail a cast or a constraint inside the statement, and the event
 * would be answered 500 on every one of Stripe's retries.
 *
 * Liberal with everything else: unknown fields are accepted and dropped (Stripe adds fields
 * without a new API version), and only the fields we read are checked, strictly.
 */

/** PostgreSQL `integer`, the type of our amount columns: a larger amount would fail the cast. */
const MAX_INT4 = 2_147_483_647;
/** 9999-12-31T23:59:59Z: `to_timestamp` fails beyond PostgreSQL's range, and Date cannot show it. */
const MAX_UNIX_SECONDS = 253_402_300_799;

const stripeId = (prefix: "evt" | "pi" | "ch" | "re" | "du") =>
  z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9_]{1,250}$`), `must be a Stripe id (${prefix}_…)`);
const amount = z.int().min(0).max(MAX_INT4);
const unixSeconds = z.int().min(0).max(MAX_UNIX_SECONDS);
/** Stripe's metadata values are always strings (it refuses anything else on write). */
const metadata = z.record(z.string(), z.string());
/** `payment_intent` of a charge or refund: an id, or the intent itself when expanded. */
const paymentIntentRef = z.union([stripeId("pi"), z.object({ id: stripeId("pi") }).transform((intent) => intent.id)]);

/**
 * The envelope of every event, whatever its type. `type` and `id` are stored in
 * `webhook_events`, so they must be text PostgreSQL can hold; `account` marks a Connect event.
 */
export const stripeEventEnvelope = z.object({
  id: stripeId("evt"),
  type: z.string().regex(/^[a-z0-9_.]{1,100}$/, "must be a Stripe event type"),
  account: z.string().nullish(),
  /** When it happened (Stripe's clock); a payment's timeline is ordered by it. */
  created: unixSeconds.nullish(),
  data: z.unknown(),
});
export type StripeEventEnvelope = z.infer<typeof stripeEventEnvelope>;

export const paymentIntentObject = z.object({
  id: stripeId("pi"),
  amount,
  currency: z.string().regex(/^[a-z]{3}$/, "must be a three-letter lowercase currency code"),
  /** Any string: whether it can be stored is decided where it is written. */
  description: z.string().nullish(),
  created: unixSeconds,
  metadata,
});

const errorCode = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, "must be a Stripe error code");

/** `payment_intent.payment_failed` also reads why: `last_payment_error`. */
export const failedPaymentIntentObject = paymentIntentObject.extend({
  last_payment_error: z.object({ code: errorCode.nullish(), decline_code: errorCode.nullish() }).nullish(),
});

/** A dispute (charge.dispute.*): docs.stripe.com/api/disputes/object. */
export const disputeObject = z.object({
  id: stripeId("du"),
  amount,
  status: z.string().regex(/^[a-z_]{1,32}$/, "must be a dispute status"),
  reason: z.string().regex(/^[a-z_]{1,64}$/, "must be a dispute reason"),
  payment_intent: paymentIntentRef.nullable(),
});

export const refundObject = z.object({
  id: stripeId("re"),
  amount,
  /** Stripe's refund statuses, as the refunds.status enum holds them; null is pending. */
  status: z.enum(RefundStatus, { error: "must be a refund status" }).nullable(),
  created: unixSeconds,
  metadata: metadata.nullable(),
  payment_intent: paymentIntentRef.nullable(),
});

/** The object of any event, as far as saying which PaymentIntent it concerns. */
const concerningObject = z.union([
  z.object({ object: z.literal("payment_intent"), id: stripeId("pi") }).transform((intent) => intent.id),
  z.object({ payment_intent: paymentIntentRef }).transform((object) => object.payment_intent),
]);

/**
 * The PaymentIntent an event is about (its object, or the object's `payment_intent`: a
 * charge, refund or dispute), or null: what places the event on a payment's timeline.
 */
export function paymentIntentIdOf(event: StripeEventEnvelope): string | null {
  const parsed = eventObject(event, concerningObject);
  return parsed.ok ? parsed.object : null;
}

/**
 * `data.object` of `event`, checked with `schema`; otherwise what is wrong with it, as paths
 * and messages (zod's messages name expected types, never the values, so they may be logged).
 */
export function eventObject<T extends z.ZodType>(
  event: StripeEventEnvelope,
  schema: T,
): { ok: true; object: z.output<T> } | { ok: false; problems: string[] } {
  const data = event.data;
  const object: unknown = typeof data === "object" && data !== null ? (data as { object?: unknown }).object : undefined;
  const parsed = schema.safeParse(object);
  return parsed.success ? { ok: true, object: parsed.data } : { ok: false, problems: problemsOf(parsed.error, "data.object") };
}

/** At most a few lines: enough to see what is wrong, bounded whatever was sent. */
export function problemsOf(error: z.ZodError, under?: string): string[] {
  return error.issues.slice(0, 5).map((issue) => {
    const path = [...(under ? [under] : []), ...issue.path.map(String)].join(".");
    return `${path || "(event)"}: ${issue.message}`;
  });
}
