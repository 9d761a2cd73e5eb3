import { createRefundSchema, type CreateRefundInput } from "../schemas/refund";
import { attemptAfterProblem, keyedAttemptSchema, newKeyedAttempt, type KeyedAttempt } from "./keyed-attempt";
import type { RefundOutcome } from "./submit-refund";

export { attemptToResume as refundAttemptToResume } from "./keyed-attempt";

/** One logical refund of a payment (keyed-attempt.ts): its key and the exact request. */
export type RefundAttempt = KeyedAttempt<CreateRefundInput>;

export type RefundAttemptStore = {
  read(): RefundAttempt | null;
  /** null ends the attempt: the next refund takes a new key. */
  write(attempt: RefundAttempt | null): void;
};

type KeyValueStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

const storedSchema = keyedAttemptSchema(createRefundSchema);

/** Versioned, so that a page of a later release never misreads what this one stored. */
export function refundStorageKey(paymentId: string): string {
  return `refund:v1:${paymentId}`;
}

/**
 * The refund attempt of one payment in `storage`. Storage that is missing, full or holds
 * something unreadable degrades to memory: the page still works, it only forgets on reload.
 */
export function refundAttemptStore(storage: KeyValueStorage | null, paymentId: string): RefundAttemptStore {
  const name = refundStorageKey(paymentId);
  let current = read(storage, name);
  return {
    read: () => current,
    write(attempt) {
      current = attempt;
      try {
        if (attempt) storage?.setItem(name, JSON.stringify(attempt));
        else storage?.removeItem(name);
      } catch {
        // Quota exceeded or storage disabled: keep the attempt in memory only.
      }
    },
  };
}

function read(storage: KeyValueStorage | null, name: string): RefundAttempt | null {
  try {
    const raw = storage?.getItem(name);
    const parsed = raw ? storedSchema.safeParse(JSON.parse(raw)) : null;
    if (parsed?.success) return parsed.data;
  } catch {
    // Unreadable JSON or storage that throws on access: no attempt.
  }
  return null;
}

/**
 * The attempt a Refund click sends: the current one again for exactly the same refund (a
 * retry), otherwise a new one with a new key (another amount is another refund, which must
 * neither replay the old answer nor get a 422).
 */
export function refundAttemptFor(
  current: RefundAttempt | null,
  request: CreateRefundInput,
  newKey: () => string,
  now: Date = new Date(),
): RefundAttempt {
  if (current && sameRequest(current.request, request)) return { ...current, state: "sending" };
  return newKeyedAttempt(request, newKey(), now);
}

/** What is left of the attempt once `outcome` arrived: nothing after the refund, otherwise as attemptAfterProblem says. */
export function settleRefundAttempt(attempt: RefundAttempt, outcome: RefundOutcome): RefundAttempt | null {
  return outcome.kind === "refund" ? null : attemptAfterProblem(attempt, outcome);
}

function sameRequest(a: CreateRefundInput, b: CreateRefundInput): boolean {
  return (a.amount ?? null) === (b.amount ?? null) && (a.reason ?? null) === (b.reason ?? null);
}
