import type { RetryHint } from "@/lib/error-codes";

type Tone = "green" | "amber" | "slate";

/**
 * What each value of a problem's `retry` member tells a client, in words (the values:
 * RETRY_HINTS in src/lib/error-codes.ts; typed by it, so a new hint needs its words here).
 */
export const RETRY_HINT_TEXT: Record<RetryHint, { label: string; explanation: string; tone: Tone }> = {
  same_key: {
    label: "Retry with the same Idempotency-Key",
    explanation:
      "Send the same request again, with the same key and body, after Retry-After when the answer has one. The server runs a key at most once, so this never charges twice.",
    tone: "green",
  },
  new_key: {
    label: "Do not retry this key; a new attempt needs a new key",
    explanation:
      "The key's answer is final and is replayed to every retry with it. Another attempt (another card, another amount) is a new operation with a new key.",
    tone: "amber",
  },
  never: {
    label: "Retrying the same request will not help; change it first",
    explanation:
      "The same request gets the same answer. Fix the request or the credentials first; a refused keyed request stored nothing, so its key may be reused.",
    tone: "slate",
  },
};

const TONES: Record<Tone, string> = {
  green: "bg-emerald-50 text-emerald-800 ring-emerald-600/25",
  amber: "bg-amber-50 text-amber-900 ring-amber-600/30",
  slate: "bg-slate-100 text-slate-700 ring-slate-500/25",
};

/** The hint's value as a pill, coloured by what it allows; the words beside it say the same. */
export function RetryHintBadge({ hint }: { hint: RetryHint }) {
  return (
    <code
      className={`inline-flex items-center whitespace-nowrap rounded-full px-2.5 py-0.5 font-mono text-xs font-medium ring-1 ring-inset ${TONES[RETRY_HINT_TEXT[hint].tone]}`}
    >
      {hint}
    </code>
  );
}
