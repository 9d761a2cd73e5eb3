"use client";

import { useElements } from "@stripe/react-stripe-js";
import { useEffect, useEffectEvent, useRef, useState } from "react";
import { awaitSettledPayment, isUnsettled } from "@/lib/checkout/await-settled-payment";
import { createCheckoutStore, type CheckoutDraft, type CheckoutStore } from "@/lib/checkout/checkout-store";
import { draftTerms } from "@/lib/checkout/draft-request";
import { sessionStorageOrNull } from "@/lib/checkout/session-storage";
import { newIdempotencyKey } from "@/lib/checkout/new-idempotency-key";
import {
  attemptToResume,
  newAttempt,
  reusableAttempt,
  settleAttempt,
  type PaymentAttempt,
  type PaymentTerms,
} from "@/lib/checkout/payment-attempt";
import { submitPayment, type PaymentOutcome, type RetryReason } from "@/lib/checkout/submit-payment";
import { loadStripeJs, type StripeJsConfig } from "@/lib/stripe-js";
import type { SettledOutcome } from "./outcome-panel";

export type Phase =
  | { kind: "editing" }
  | { kind: "preparing" }
  | { kind: "sending"; attempt: number; retrying: RetryReason | null; resumed: boolean }
  | { kind: "authenticating" }
  | { kind: "finished"; outcome: SettledOutcome; attempt: PaymentAttempt };

/** Where Stripe sends the customer back after a redirect-based payment method. */
const RETURN_PATH = "/pay/return";

/**
 * The checkout's state machine: one idempotency key per logical payment
 * (src/lib/checkout/payment-attempt.ts). The card is tokenised by Stripe.js once per logical
 * payment; the key, the token and the amount are stored in sessionStorage before the
 * request leaves, so a reload resumes the same payment, and a second click, an Enter repeat
 * or a reload never start another one. A payment that asks for 3-D Secure is handed to
 * Stripe.js, then read back from the server until it settles.
 */
export function useCheckout(stripeJs: StripeJsConfig) {
  const elements = useElements();
  const [store] = useState<CheckoutStore>(() => createCheckoutStore(sessionStorageOrNull()));
  const [draft, setDraft] = useState<CheckoutDraft>(() => store.state().draft);
  // Read once: the attempt a reload interrupted, if it is to be resumed.
  const [interrupted] = useState(() => attemptToResume(store.state().attempt));
  const [phase, setPhase] = useState<Phase>(() =>
    interrupted ? { kind: "sending", attempt: 1, retrying: null, resumed: true } : { kind: "editing" },
  );
  const [alert, setAlert] = useState<string | null>(null);
  const [amountError, setAmountError] = useState<string | null>(null);
  // An attempt that may have been charged, not resumed by itself: paying again reuses its key.
  const [unresolved, setUnresolved] = useState(() => !interrupted && store.state().attempt !== null);
  // Set synchronously on Pay, before React re-renders the disabled button: the second click
  // of a double click, or a held Enter key, arrives before that render.
  const busy = useRef(false);

  async function send(attempt: PaymentAttempt, resumed: boolean) {
    // Stored before the request leaves: a reload from here on resumes this very key.
    store.update({ attempt });
    setAlert(null);
    setUnresolved(false);
    setPhase({ kind: "sending", attempt: 1, retrying: null, resumed });
    let outcome: PaymentOutcome;
    try {
      outcome = await submitPayment({
        key: attempt.key,
        request: attempt.request,
        onAttempt: (number, retrying) => setPhase({ kind: "sending", attempt: number, retrying, resumed }),
      });
    } catch {
      outcome = { kind: "unanswered", reason: "network", message: "Something went wrong on this page." };
    }
    const remaining = settleAttempt(attempt, outcome);
    store.update({ attempt: remaining });
    if (outcome.kind === "payment" && outcome.payment.status === "requires_action" && outcome.payment.clientSecret) {
      setPhase({ kind: "authenticating" });
      outcome = await authenticate(stripeJs, outcome);
    }
    if (outcome.kind === "payment" || outcome.kind === "declined") {
      setPhase({ kind: "finished", outcome, attempt });
      return;
    }
    setPhase({ kind: "editing" });
    setUnresolved(remaining !== null);
    setAlert(problemMessage(outcome));
  }

  async function pay() {
    if (busy.current) return;
    const parsed = draftTerms(draft);
    if (!parsed.ok) {
      setAmountError(parsed.error);
      return;
    }
    busy.current = true;
    try {
      // The same key and card token again if this retries exactly the same payment.
      const attempt = reusableAttempt(store.state().attempt, parsed.terms) ?? (await tokenise(parsed.terms));
      if (attempt) await send(attempt, false);
    } finally {
      busy.current = false;
    }
  }

  /** A new logical payment: the card from the Payment Element as a ConfirmationToken, and a new key. */
  async function tokenise(terms: PaymentTerms): Promise<PaymentAttempt | null> {
    if (!elements) return null;
    setAlert(null);
    setPhase({ kind: "preparing" });
    try {
      // The element shows its own messages (incomplete number, expiry in the past…).
      const submitted = await elements.submit();
      if (submitted.error) return null;
      const stripe = await loadStripeJs(stripeJs);
      const result = stripe
        ? await stripe.createConfirmationToken({ elements, params: { return_url: new URL(RETURN_PATH, location.href).href } })
        : { error: { message: "The card form is not available." } };
      if (result.error) {
        setAlert(result.error.message ?? "Your card could not be read. Check it and try again.");
        return null;
      }
      return newAttempt({ ...terms, confirmationToken: result.confirmationToken.id }, newIdempotencyKey());
    } catch {
      setAlert("The card form is not available right now. Reload the page and try again.");
      return null;
    } finally {
      setPhase((current) => (current.kind === "preparing" ? { kind: "editing" } : current));
    }
  }

  // After a reload in the middle of a payment: send it again with the same key. The server
  // replays its answer, or lets this request wait for the first one (Prefer: wait).
  const resume = useEffectEvent(() => {
    if (interrupted && !busy.current) {
      busy.current = true;
      void send(interrupted, true).finally(() => (busy.current = false));
    }
  });
  useEffect(() => {
    // Resumed in a task of its own rather than inside the effect; StrictMode's development
    // re-mount cancels the first timer, so the payment is resumed once.
    const timer = setTimeout(resume, 0);
    return () => clearTimeout(timer);
  }, []);

  function change(changes: Partial<CheckoutDraft>) {
    const next = { ...draft, ...changes };
    setDraft(next);
    store.update({ draft: next });
    setAmountError(null);
  }

  function startNewPayment() {
    // A final answer already ended the attempt; clearing again makes certain the next Pay
    // takes a new key.
    store.update({ attempt: null });
    setPhase({ kind: "editing" });
  }

  return { draft, phase, alert, amountError, unresolved, pay, change, startNewPayment };
}

/**
 * 3-D Secure through Stripe.js, then the payment as the server records it (webhook or
 * re-read). Stripe.js's error names why authentication failed; the server's row is the truth.
 */
async function authenticate(
  stripeJs: StripeJsConfig,
  answer: Extract<PaymentOutcome, { kind: "payment" }>,
): Promise<PaymentOutcome> {
  let message: string | undefined;
  try {
    const stripe = await loadStripeJs(stripeJs);
    const result = stripe ? await stripe.handleNextAction({ clientSecret: answer.payment.clientSecret ?? "" }) : null;
    message = result?.error?.message;
  } catch {
    message = "Authentication could not be started.";
  }
  const settled = await awaitSettledPayment(answer.payment.id);
  if (!settled || isUnsettled(settled.status)) return answer;
  if (settled.status === "failed") {
    const declineCode = settled.failureCode ?? null;
    return { kind: "declined", payment: settled, declineCode, message: message ?? "Your bank did not authenticate the payment.", replayed: false };
  }
  return { kind: "payment", payment: settled, replayed: answer.replayed };
}

function problemMessage(outcome: Exclude<PaymentOutcome, SettledOutcome>): string {
  if (outcome.kind === "unanswered") return `${outcome.message} Your payment may or may not have gone through.`;
  switch (outcome.code) {
    case "unauthorized":
      return "Your session has ended. Sign in again in another tab, then pay here.";
    case "outcome_not_recorded":
      return "Your payment reached the payment provider but is not recorded here yet. Do not pay again with other details: it will appear in your payment history once recorded, and paying again with the same details shows its outcome.";
    default:
      return outcome.message;
  }
}
