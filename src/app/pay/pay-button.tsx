import { MAX_ATTEMPTS, type RetryReason } from "@/lib/checkout/submit-payment";
import type { Phase } from "./use-checkout";

const RETRY_REASONS: Record<RetryReason, string> = {
  network: "the connection dropped",
  in_progress: "the server is still working on it",
  unavailable: "the payment service did not answer",
};

type Props = { phase: Exclude<Phase, { kind: "finished" }>; total: string | null; disabled: boolean };

/** Pay, and what is happening once it was pressed, announced to screen readers. */
export function PayButton({ phase, total, disabled }: Props) {
  const working = phase.kind !== "editing";
  return (
    <div className="flex flex-col gap-2">
      <button
        type="submit"
        disabled={disabled}
        className="flex items-center justify-center gap-2 rounded-lg bg-indigo-600 px-4 py-3 text-base font-semibold text-white shadow-sm hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:cursor-not-allowed disabled:opacity-70"
      >
        {working ? (
          <>
            <Spinner />
            {phase.kind === "sending" && phase.retrying ? "Retrying…" : "Processing…"}
          </>
        ) : (
          <>
            <LockIcon />
            {total ? `Pay ${total}` : "Pay"}
          </>
        )}
      </button>
      <p role="status" className="min-h-5 text-center text-sm text-slate-600">
        {progressMessage(phase)}
      </p>
    </div>
  );
}

function progressMessage(phase: Props["phase"]): string {
  switch (phase.kind) {
    case "editing":
      return "";
    case "preparing":
      return "Checking your card…";
    case "authenticating":
      return "Waiting for your bank to confirm it is you…";
    case "sending":
      if (phase.retrying) {
        return `Retrying… attempt ${phase.attempt} of ${MAX_ATTEMPTS}: ${RETRY_REASONS[phase.retrying]}. Same payment, same key.`;
      }
      return phase.resumed ? "Resuming your payment after the reload…" : "Processing your payment…";
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
