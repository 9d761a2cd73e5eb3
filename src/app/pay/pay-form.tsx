"use client";

import { useEffect, useEffectEvent, useRef, useState, type FormEvent } from "react";
import { flushSync } from "react-dom";
import { FormAlert } from "@/components/form-alert";
import { TextField } from "@/components/text-field";
import {
  createCheckoutStore,
  type CheckoutDraft,
  type CheckoutStore,
  type TestPaymentMethod,
} from "@/lib/checkout/checkout-store";
import { draftRequest } from "@/lib/checkout/draft-request";
import { newIdempotencyKey } from "@/lib/checkout/new-idempotency-key";
import { attemptFor, attemptToResume, settleAttempt, type PaymentAttempt } from "@/lib/checkout/payment-attempt";
import { MAX_ATTEMPTS, submitPayment, type PaymentOutcome, type RetryReason } from "@/lib/checkout/submit-payment";
import { CURRENCIES, CURRENCY_CODES, MAXIMUM_AMOUNT, type Currency } from "@/lib/currencies";
import { formatMoney } from "@/lib/display-format";
import { TEST_PAYMENT_METHODS } from "@/lib/schemas/payment";
import { OutcomePanel, type SettledOutcome } from "./outcome-panel";
import { TEST_CARDS, type TestCard } from "./test-cards";
import { useIsClient } from "./use-is-client";

type Phase =
  | { kind: "editing" }
  | { kind: "sending"; attempt: number; retrying: RetryReason | null; resumed: boolean }
  | { kind: "finished"; outcome: SettledOutcome; attempt: PaymentAttempt };

const METHODS = Object.keys(TEST_PAYMENT_METHODS) as TestPaymentMethod[];

const RETRY_REASONS: Record<RetryReason, string> = {
  network: "the connection dropped",
  in_progress: "the server is still working on it",
  unavailable: "the payment service did not answer",
};

/** The checkout; rendered in the browser only, because its state lives in sessionStorage. */
export function PayForm() {
  return useIsClient() ? <Checkout /> : <CheckoutPlaceholder />;
}

/**
 * One idempotency key per logical payment (src/lib/checkout/payment-attempt.ts): the key
 * and the form live in sessionStorage before the request leaves, so a reload resumes the
 * same payment, and a second click, an Enter repeat or a reload never start another one.
 */
function Checkout() {
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
  // Set synchronously on submit, before React re-renders the disabled button: the second
  // click of a double click, or a held Enter key, arrives before that render.
  const inFlight = useRef(false);
  const amountInput = useRef<HTMLInputElement>(null);

  async function send(attempt: PaymentAttempt, resumed: boolean) {
    if (inFlight.current) return;
    inFlight.current = true;
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
    } finally {
      inFlight.current = false;
    }
    const remaining = settleAttempt(attempt, outcome);
    store.update({ attempt: remaining });
    if (outcome.kind === "payment" || outcome.kind === "declined") {
      setPhase({ kind: "finished", outcome, attempt });
      return;
    }
    setPhase({ kind: "editing" });
    setUnresolved(remaining !== null);
    setAlert(problemMessage(outcome));
  }

  // After a reload in the middle of a payment: send it again with the same key. The server
  // replays its answer, or lets this request wait for the first one (Prefer: wait).
  const resume = useEffectEvent(() => {
    if (interrupted) void send(interrupted, true);
  });
  useEffect(() => {
    // Resumed in a task of its own rather than inside the effect; StrictMode's development
    // re-mount cancels the first timer, so the payment is resumed once.
    const timer = setTimeout(resume, 0);
    return () => clearTimeout(timer);
  }, []);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (inFlight.current) return;
    const parsed = draftRequest(draft);
    if (!parsed.ok) {
      setAmountError(parsed.error);
      amountInput.current?.focus();
      return;
    }
    // The same key again if this is a retry of exactly the same payment; a new one otherwise.
    void send(attemptFor(store.state().attempt, parsed.request, newIdempotencyKey), false);
  }

  function change(changes: Partial<CheckoutDraft>) {
    const next = { ...draft, ...changes };
    setDraft(next);
    store.update({ draft: next });
    setAmountError(null);
  }

  function startNewPayment() {
    // A final answer already ended the attempt; clearing again costs nothing and makes
    // certain the next Pay takes a new key.
    store.update({ attempt: null });
    flushSync(() => setPhase({ kind: "editing" }));
    amountInput.current?.focus();
  }

  if (phase.kind === "finished") {
    return (
      <OutcomePanel
        outcome={phase.outcome}
        request={phase.attempt.request}
        idempotencyKey={phase.attempt.key}
        onNewPayment={startNewPayment}
      />
    );
  }

  const sending = phase.kind === "sending";
  const parsed = draftRequest(draft);
  const total = parsed.ok ? formatMoney(parsed.request.amount, draft.currency) : null;
  const card = TEST_CARDS[draft.paymentMethod];
  const limits = `From ${formatMoney(CURRENCIES[draft.currency].minimum, draft.currency)} to ${formatMoney(MAXIMUM_AMOUNT, draft.currency)}.`;

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_20rem] lg:items-start">
      <OrderSummary total={total} card={card} />

      <section
        aria-labelledby="payment-details"
        className="rounded-xl border border-slate-200 bg-white shadow-sm lg:col-start-1 lg:row-start-1"
      >
        <div className="border-b border-slate-200 px-5 py-4 sm:px-6">
          <h2 id="payment-details" className="text-lg font-semibold">
            Payment details
          </h2>
        </div>
        <form onSubmit={onSubmit} noValidate aria-describedby="pay-alert" className="flex flex-col gap-6 px-5 py-5 sm:px-6">
          {/* The live region stays in the page (see FormAlert); it takes space only with a message. */}
          <div className="-mb-6 flex flex-col gap-2 has-[p]:mb-0">
            <FormAlert id="pay-alert" message={alert} />
            {unresolved && !sending && (
              <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
                Your last attempt got no final answer. Pay again with the same details to find out what happened: it is
                the same payment, so you will not be charged twice.
              </p>
            )}
          </div>
          <fieldset disabled={sending} className="flex min-w-0 flex-col gap-6">
            <legend className="sr-only">Amount and card</legend>
            <div className="grid grid-cols-[minmax(0,1fr)_6.5rem] items-start gap-3">
              <TextField
                ref={amountInput}
                label="Amount"
                name="amount"
                inputMode="decimal"
                autoComplete="off"
                spellCheck={false}
                value={draft.amountText}
                onChange={(event) => change({ amountText: event.target.value })}
                hint={limits}
                error={amountError}
                className="min-w-0"
              />
              <div className="flex flex-col gap-1">
                <label htmlFor="currency" className="text-sm font-medium text-slate-800">
                  Currency
                </label>
                <select
                  id="currency"
                  name="currency"
                  value={draft.currency}
                  onChange={(event) => change({ currency: event.target.value as Currency })}
                  className="rounded-md border border-slate-300 bg-white px-3 py-2 text-base shadow-sm outline-none focus:border-indigo-500 focus:ring-2 focus:ring-indigo-200"
                >
                  {CURRENCY_CODES.map((code) => (
                    <option key={code} value={code} title={CURRENCIES[code].label}>
                      {code.toUpperCase()}
                    </option>
                  ))}
                </select>
              </div>
            </div>

            <fieldset aria-describedby="test-card-hint" className="flex min-w-0 flex-col gap-2">
              <legend className="mb-1 text-sm font-medium text-slate-800">Test card</legend>
              <p id="test-card-hint" className="text-xs text-slate-500">
                Stripe test cards: no real money moves.
              </p>
              <div className="grid gap-2">
                {METHODS.map((method) => (
                  <CardOption
                    key={method}
                    method={method}
                    card={TEST_CARDS[method]}
                    checked={draft.paymentMethod === method}
                    onSelect={() => change({ paymentMethod: method })}
                  />
                ))}
              </div>
            </fieldset>
          </fieldset>

          <div className="flex flex-col gap-2">
            <button
              type="submit"
              disabled={sending}
              className="flex items-center justify-center gap-2 rounded-lg bg-indigo-600 px-4 py-3 text-base font-semibold text-white shadow-sm hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-not-allowed disabled:opacity-70"
            >
              {sending ? (
                <>
                  <Spinner />
                  {phase.retrying ? "Retrying…" : "Processing…"}
                </>
              ) : (
                <>
                  <LockIcon />
                  {total ? `Pay ${total}` : "Pay"}
                </>
              )}
            </button>
            <p role="status" className="min-h-5 text-center text-sm text-slate-600">
              {sending && progressMessage(phase)}
            </p>
          </div>
        </form>
      </section>
    </div>
  );
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

function progressMessage(phase: Extract<Phase, { kind: "sending" }>): string {
  if (phase.retrying) {
    return `Retrying… attempt ${phase.attempt} of ${MAX_ATTEMPTS}: ${RETRY_REASONS[phase.retrying]}. Same payment, same key.`;
  }
  return phase.resumed ? "Resuming your payment after the reload…" : "Processing your payment…";
}

function OrderSummary({ total, card }: { total: string | null; card: TestCard }) {
  return (
    <aside
      aria-labelledby="order-summary"
      className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6 lg:sticky lg:top-6 lg:col-start-2 lg:row-start-1"
    >
      <h2 id="order-summary" className="text-lg font-semibold">
        Order summary
      </h2>
      <dl className="mt-4 flex flex-col gap-3 text-sm">
        <div className="flex justify-between gap-4">
          <dt className="text-slate-600">Payment</dt>
          <dd className="tabular-nums">{total ?? "—"}</dd>
        </div>
        <div className="flex justify-between gap-4">
          <dt className="text-slate-600">Card</dt>
          <dd>
            {card.brand} <span aria-hidden="true">••••</span>
            <span className="sr-only">ending in</span> {card.last4}
          </dd>
        </div>
        <div className="flex items-baseline justify-between gap-4 border-t border-slate-200 pt-3">
          <dt className="text-base font-semibold">Total due</dt>
          <dd className="text-2xl font-semibold tabular-nums tracking-tight">{total ?? "—"}</dd>
        </div>
      </dl>
      <p className="mt-5 flex gap-2 text-xs text-slate-500">
        <ShieldCheckIcon />
        <span>
          Charged once, even if you click twice, reload or lose your connection: every payment carries its own idempotency
          key.
        </span>
      </p>
    </aside>
  );
}

type CardOptionProps = { method: TestPaymentMethod; card: TestCard; checked: boolean; onSelect: () => void };

function CardOption({ method, card, checked, onSelect }: CardOptionProps) {
  const id = `card-${method}`;
  return (
    <label
      htmlFor={id}
      className="flex cursor-pointer items-center gap-3 rounded-lg border border-slate-300 bg-white px-3 py-3 hover:border-slate-400 has-checked:border-indigo-600 has-checked:bg-indigo-50/60 has-checked:ring-1 has-checked:ring-indigo-600 has-focus-visible:outline-2 has-focus-visible:outline-offset-2 has-focus-visible:outline-indigo-600 has-disabled:cursor-not-allowed has-disabled:opacity-70"
    >
      <input
        id={id}
        type="radio"
        name="paymentMethod"
        value={method}
        checked={checked}
        onChange={onSelect}
        aria-describedby={`${id}-hint`}
        className="size-4 shrink-0 accent-indigo-600 outline-none"
      />
      <CardBrand brand={card.brand} />
      <span className="flex min-w-0 grow flex-col">
        <span className="flex flex-wrap items-baseline justify-between gap-x-3">
          <span className="font-medium text-slate-900">{card.outcome}</span>
          <span className="text-sm tabular-nums text-slate-600">
            {card.brand} <span aria-hidden="true">••••</span>
            <span className="sr-only">ending in</span> {card.last4}
          </span>
        </span>
        <span id={`${id}-hint`} className="text-sm text-slate-600">
          {card.hint}
        </span>
      </span>
    </label>
  );
}

function CardBrand({ brand }: { brand: string }) {
  return (
    <span
      aria-hidden="true"
      className="hidden h-6 w-10 shrink-0 items-center justify-center rounded border sm:flex border-slate-200 bg-white text-[10px] font-extrabold italic tracking-tight text-blue-800"
    >
      {brand.toUpperCase()}
    </span>
  );
}

function CheckoutPlaceholder() {
  return (
    <div aria-busy="true" className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]">
      <div className="h-96 animate-pulse rounded-xl border border-slate-200 bg-white" />
      <div className="h-56 animate-pulse rounded-xl border border-slate-200 bg-white" />
      <p className="sr-only" role="status">
        Loading the checkout…
      </p>
    </div>
  );
}

function sessionStorageOrNull(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the checkout still works, it only forgets on reload
  }
}

function Spinner() {
  return (
    <svg aria-hidden="true" viewBox="0 0 24 24" className="size-5 animate-spin" fill="none">
      <circle cx="12" cy="12" r="9" stroke="currentColor" strokeOpacity="0.3" strokeWidth="3" />
      <path d="M21 12a9 9 0 0 0-9-9" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
    </svg>
  );
}

function LockIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 24 24" className="size-4" fill="none" stroke="currentColor" strokeWidth="2.2">
      <rect x="5" y="11" width="14" height="10" rx="2" />
      <path d="M8 11V8a4 4 0 0 1 8 0v3" />
    </svg>
  );
}

function ShieldCheckIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 24 24" className="mt-px size-4 shrink-0 text-emerald-600" fill="none" stroke="currentColor" strokeWidth="2">
      <path d="M12 3l7 3v5.5c0 4.2-2.9 7.9-7 9.5-4.1-1.6-7-5.3-7-9.5V6l7-3z" />
      <path d="M9 12l2 2 4-4" />
    </svg>
  );
}
