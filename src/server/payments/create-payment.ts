import "server-only";
import type { PaymentStatus } from "@prisma/client";
import { Prisma } from "@prisma/client";
import Stripe from "stripe";
import { env } from "@/env";
import { PAYMENTS_PATH } from "@/lib/routes";
import type { CreatePaymentInput } from "@/lib/schemas/payment";
import { problem } from "@/server/http/problem";
import { withIdempotency, type FinalOutcome, type KeyedResponse } from "@/server/idempotency/with-idempotency";
import type { Logger } from "@/server/logger";
import { stripe } from "@/server/stripe";
import { paymentStatus } from "./payment-status";
import { paymentView } from "./payment-view";
import { findPaymentIntentOfKey } from "./find-at-stripe";
import { providerError } from "./provider-error";
import { adoptOrRetire, isStoredFailure } from "./stored-failure";
import type { Annotate } from "@/server/http/with-route";
import { timedStripeCall } from "./timed-stripe-call";
import { upsertPayment } from "./payment-writes";

type Options = {
  requestId: string;
  waitSeconds?: number;
  /** Adds fields to the request's log line: the idempotency outcome, the Stripe call. */
  annotate?: Annotate;
  log?: Logger;
};

/**
 * Creates and confirms a PaymentIntent exactly once per (user, Idempotency-Key). A card
 * decline is a final answer (402, replayed like a success); a transient failure is not.
 */
export async function createPayment(
  userId: string,
  key: string,
  input: CreatePaymentInput,
  options: Options,
): Promise<KeyedResponse> {
  return withIdempotency(
    { userId, key, method: "POST", path: PAYMENTS_PATH, body: input },
    async ({ keyId, createdAt, stripeKey, retireStripeKey }) => {
      const paymentId = keyId; // see the Payment model: known before Stripe, same on re-drive
      const answer = { description: input.description, requestId: options.requestId };
      try {
        const params: Stripe.PaymentIntentCreateParams = {
          amount: input.amount,
          currency: input.currency,
          ...paymentMethodParams(input),
          confirm: true,
          ...(input.description ? { description: input.description } : {}),
          metadata: { payment_id: paymentId, idempotency_key_id: keyId, user_id: userId },
          // The card's brand and last four, for the receipt (cardOf).
          expand: ["payment_method"],
        };
        // Derived from our row, never the client's key: unique per user and request, and
        // the same on a re-drive, so Stripe replays instead of creating a second intent.
        const idempotencyKey = stripeKey("payment-intent");
        const intent = await timedStripeCall(
          "payment_intents.create",
          () => stripe().paymentIntents.create(params, { idempotencyKey }),
          options.annotate,
        );
        return paymentOutcome(paymentId, userId, intent, answer);
      } catch (error) {
        if (error instanceof Stripe.errors.StripeCardError && error.payment_intent) {
          return paymentOutcome(paymentId, userId, error.payment_intent, { ...answer, decline: error });
        }
        if (!isStoredFailure(error)) throw providerError(error);
        const made = await adoptOrRetire(error, () => findPaymentIntentOfKey(keyId, createdAt), retireStripeKey);
        return paymentOutcome(paymentId, userId, made, { ...answer, decline: declineOf(made) });
      }
    },
    {
      waitSeconds: options.waitSeconds,
      log: options.log,
      onOutcome: (idempotency) => options.annotate?.({ idempotency }),
      // Counted in the claim: only a new request; a replay or a re-drive was counted when it first came.
      rateLimit: { action: "payments.create", limitPerMinute: env().RATE_LIMIT_PAYMENTS_PER_MINUTE },
    },
  );
}

/**
 * How the customer pays. A browser sends the ConfirmationToken its Payment Element made
 * ("finalize payments on the server", docs.stripe.com/payments/finalize-payments-on-the-server):
 * the token carries the card, the page's `return_url` for redirect-based methods, and
 * `use_stripe_sdk`, so a 3-D Secure step comes back as a next action for Stripe.js. A script
 * names a PaymentMethod (`pm_card_visa` in test mode) and cannot be redirected anywhere.
 */
function paymentMethodParams(input: CreatePaymentInput): Partial<Stripe.PaymentIntentCreateParams> {
  if (input.confirmationToken) {
    return { confirmation_token: input.confirmationToken, automatic_payment_methods: { enabled: true } };
  }
  return { payment_method: input.paymentMethod, automatic_payment_methods: { enabled: true, allow_redirects: "never" } };
}

/**
 * The card's brand and last four digits: from the intent's PaymentMethod when it was expanded,
 * or, after a decline or a failed authentication (when Stripe detaches it), from the
 * `last_payment_error`, which always carries the PaymentMethod object. Only values the
 * payments table's checks accept, so that a surprise from Stripe never stands between a
 * charge and its record.
 */
export function cardOf(intent: Stripe.PaymentIntent): { brand: string; last4: string } | null {
  const method = typeof intent.payment_method === "object" && intent.payment_method ? intent.payment_method : intent.last_payment_error?.payment_method;
  const card = method?.card;
  if (!card || !/^[a-z_]{1,32}$/.test(card.brand) || !/^[0-9]{4}$/.test(card.last4)) return null;
  return { brand: card.brand, last4: card.last4 };
}

/** A card decline, from the SDK's StripeCardError or an intent's `last_payment_error`. */
export type Decline = { decline_code?: string; code?: string; message?: string };

/** The decline an intent read back from Stripe records: its attempt failed and it awaits another method. */
export function declineOf(intent: Stripe.PaymentIntent): Decline | undefined {
  return intent.status === "requires_payment_method" ? (intent.last_payment_error ?? undefined) : undefined;
}

/** What the payments row records as the reason of a decline: the bank's code when it gave one. */
export function failureCodeOf(decline: Decline | undefined): string | null {
  return decline ? (decline.decline_code ?? decline.code ?? "card_declined") : null;
}

/**
 * The final answer for a PaymentIntent and the Payment row that goes with it, as the engine
 * records it; also used by the reconciler, which finds the intent of an unfinished key in
 * Stripe. The fallback is the same answer without the client's description: what is
 * recorded if the database refuses the text (charged must mean recorded).
 */
export function paymentOutcome(
  paymentId: string,
  userId: string,
  intent: Stripe.PaymentIntent,
  context: { description?: string | null; requestId: string; decline?: Decline },
): FinalOutcome {
  const { decline } = context;
  const status: PaymentStatus = decline ? "failed" : paymentStatus(intent.status);
  const failureCode = failureCodeOf(decline);
  const createdAt = new Date();
  const card = cardOf(intent);
  // Written in the same statement that completes the key, by the one payment upsert that
  // webhooks use too (payment-writes.ts): a webhook may have written the row first.
  const answer = (description: string | null) => {
    const view = paymentView(
      {
        id: paymentId,
        status,
        amount: intent.amount,
        currency: intent.currency,
        description,
        stripePaymentIntentId: intent.id,
        failureCode,
        amountRefunded: 0,
        cardBrand: card?.brand ?? null,
        cardLast4: card?.last4 ?? null,
        createdAt,
      },
      status === "requires_action" ? intent.client_secret : null,
    );
    const write = (keyRow: Prisma.Sql) =>
      upsertPayment(
        {
          id: Prisma.sql`${paymentId}::uuid`,
          userId: Prisma.sql`${userId}::uuid`,
          amount: intent.amount,
          currency: intent.currency,
          description,
          status,
          stripePaymentIntentId: intent.id,
          failureCode,
          cardBrand: card?.brand ?? null,
          cardLast4: card?.last4 ?? null,
          idempotencyKeyId: Prisma.sql`${keyRow}.id`,
          createdAt: Prisma.sql`${createdAt}`,
        },
        Prisma.sql`FROM ${keyRow}`,
      );
    const body = decline
      ? problem("card_declined", decline.message || "Your card was declined.", context.requestId, { declineCode: failureCode, payment: view })
      : view;
    return { body, write };
  };

  const primary = answer(context.description ?? null);
  return {
    status: decline ? 402 : 201,
    ...primary,
    stripeObjectId: intent.id,
    // Always offered, even when it equals the first: a write refused once is tried again.
    fallback: answer(null),
  };
}
