"use client";

import { useRouter } from "next/navigation";
import { useEffect, useEffectEvent, useRef, useState, useTransition } from "react";
import type { RetryReason } from "@/lib/checkout/keyed-request";
import { newIdempotencyKey } from "@/lib/checkout/new-idempotency-key";
import { refundAttemptFor, refundAttemptStore, refundAttemptToResume, settleRefundAttempt, type RefundAttempt } from "@/lib/checkout/refund-attempt";
import { sessionStorageOrNull } from "@/lib/checkout/session-storage";
import { submitRefund, type RefundOutcome } from "@/lib/checkout/submit-refund";
import { formatMoney } from "@/lib/display-format";
import type { CreateRefundInput } from "@/lib/schemas/refund";

export type RefundPhase = { kind: "idle" } | { kind: "sending"; attempt: number; retrying: RetryReason | null; resumed: boolean };

/**
 * One Idempotency-Key per logical refund (src/lib/checkout/refund-attempt.ts), stored in
 * sessionStorage before the first request leaves: a double click, a held Enter, a reload in
 * the middle or a lost response all end in one refund. After an answer the page's data is
 * refreshed from the server, which has the latest word on what is left to refund.
 */
export function useRefund(paymentId: string, currency: string, onResumable: (attempt: RefundAttempt) => void) {
  const router = useRouter();
  const [refreshing, startRefresh] = useTransition();
  const [store] = useState(() => refundAttemptStore(sessionStorageOrNull(), paymentId));
  const [phase, setPhase] = useState<RefundPhase>({ kind: "idle" });
  const [alert, setAlert] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState<string | null>(null);
  const [unresolved, setUnresolved] = useState(false);
  // Set synchronously, before React re-renders the disabled button: the second click of a
  // double click, or a held Enter key, arrives before that render.
  const inFlight = useRef(false);

  async function send(attempt: RefundAttempt, resumed: boolean) {
    if (inFlight.current) return;
    inFlight.current = true;
    store.write(attempt); // before the request leaves: a reload from here on resumes this key
    setAlert(null);
    setAnnouncement(null);
    setUnresolved(false);
    setPhase({ kind: "sending", attempt: 1, retrying: null, resumed });
    let outcome: RefundOutcome;
    try {
      outcome = await submitRefund({
        paymentId,
        key: attempt.key,
        request: attempt.request,
        onAttempt: (number, retrying) => setPhase({ kind: "sending", attempt: number, retrying, resumed }),
      });
    } catch {
      outcome = { kind: "unanswered", reason: "network", message: "Something went wrong on this page." };
    } finally {
      inFlight.current = false;
    }
    const left = settleRefundAttempt(attempt, outcome);
    store.write(left);
    setUnresolved(left !== null);
    setPhase({ kind: "idle" });
    if (outcome.kind === "refund") setAnnouncement(refundedMessage(outcome, currency));
    else setAlert(problemMessage(outcome, currency));
    // What is left to refund changed, or the page's idea of it was out of date.
    if (outcome.kind === "refund" || (outcome.kind === "rejected" && outcome.code === "refund_exceeds_remaining")) {
      startRefresh(() => router.refresh());
    }
  }

  // After a reload: a refund that was in flight is sent again with the same key (the server
  // replays its answer, or this request waits for the first); an older one waits for a click.
  const resume = useEffectEvent(() => {
    const stored = store.read();
    const interrupted = refundAttemptToResume(stored);
    if (interrupted) void send(interrupted, true);
    else if (stored) {
      setUnresolved(true);
      onResumable(stored);
    }
  });
  useEffect(() => {
    // In a task of its own: StrictMode's development re-mount cancels the first timer.
    const timer = setTimeout(resume, 0);
    return () => clearTimeout(timer);
  }, []);

  return {
    phase,
    busy: phase.kind === "sending" || refreshing,
    alert,
    announcement,
    unresolved,
    /** Refunds `request`: with the unfinished attempt's key if it is the same refund, else a new key. */
    start(request: CreateRefundInput) {
      if (inFlight.current) return;
      void send(refundAttemptFor(store.read(), request, newIdempotencyKey), false);
    },
  };
}

function refundedMessage(outcome: Extract<RefundOutcome, { kind: "refund" }>, currency: string): string {
  const amount = formatMoney(outcome.refund.amount, currency);
  const { status } = outcome.refund;
  const made =
    status === "succeeded"
      ? `Refunded ${amount}.`
      : status === "pending"
        ? `Refund of ${amount} requested; the bank is processing it.`
        : `Refund of ${amount}: ${status.replaceAll("_", " ")}.`;
  return outcome.replayed ? `${made} It had already been made by an earlier attempt: it was made once.` : made;
}

function problemMessage(outcome: Exclude<RefundOutcome, { kind: "refund" }>, currency: string): string {
  if (outcome.kind === "unanswered") {
    return `${outcome.message} The refund may or may not have been made: refund the same amount again to find out; it will not be made twice.`;
  }
  switch (outcome.code) {
    case "refund_exceeds_remaining":
      if (outcome.amountRemaining === undefined) return outcome.message;
      return outcome.amountRemaining > 0
        ? `At most ${formatMoney(outcome.amountRemaining, currency)} is left to refund.`
        : "This payment is already refunded in full.";
    case "unauthorized":
      return "Your session has ended. Sign in again in another tab, then refund here.";
    case "outcome_not_recorded":
      return "The refund reached the payment provider but is not recorded here yet. Refunding the same amount again shows its outcome; it will not be made twice.";
    default:
      return outcome.message;
  }
}
