import { z } from "zod";
import { CURRENCY_CODES, type Currency } from "../currencies";
import { createPaymentSchema } from "../schemas/payment";
import { keyedAttemptSchema } from "./keyed-attempt";
import type { PaymentAttempt } from "./payment-attempt";

/**
 * The form as the customer left it; the amount as typed, in major units. The card is not
 * here: it lives in Stripe's Payment Element, and only its token is sent and stored.
 */
export type CheckoutDraft = { amountText: string; currency: Currency };

export type CheckoutState = { draft: CheckoutDraft; attempt: PaymentAttempt | null };

export type CheckoutStore = {
  state(): CheckoutState;
  /** Merges `changes` into the state and writes it to storage at once. */
  update(changes: Partial<CheckoutState>): CheckoutState;
};

/** Versioned, so that a page of a later release never misreads what this one stored. */
export const CHECKOUT_STORAGE_KEY = "checkout:v2";

export const DEFAULT_DRAFT: CheckoutDraft = { amountText: "25.00", currency: "eur" };

const storedSchema = z.object({
  draft: z.object({
    amountText: z.string().max(50),
    currency: z.enum(CURRENCY_CODES),
  }),
  attempt: keyedAttemptSchema(createPaymentSchema).nullable(),
});

type KeyValueStorage = Pick<Storage, "getItem" | "setItem">;

/**
 * The checkout's draft and current attempt, kept in `storage` (the tab's sessionStorage) so
 * that a reload, or a retry after a network error, sends the same Idempotency-Key. Storage
 * that is missing, full or holds something unreadable degrades to memory: the page still
 * works, it only forgets on reload.
 */
export function createCheckoutStore(storage: KeyValueStorage | null): CheckoutStore {
  let current = read(storage);
  return {
    state: () => current,
    update(changes) {
      current = { ...current, ...changes };
      try {
        storage?.setItem(CHECKOUT_STORAGE_KEY, JSON.stringify(current));
      } catch {
        // Quota exceeded or storage disabled: keep the state in memory only.
      }
      return current;
    },
  };
}

function read(storage: KeyValueStorage | null): CheckoutState {
  try {
    const raw = storage?.getItem(CHECKOUT_STORAGE_KEY);
    const parsed = raw ? storedSchema.safeParse(JSON.parse(raw)) : null;
    if (parsed?.success) return parsed.data;
  } catch {
    // Unreadable JSON or storage that throws on access: start afresh.
  }
  return { draft: DEFAULT_DRAFT, attempt: null };
}
