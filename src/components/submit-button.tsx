import type { ReactNode } from "react";

/** The forms' primary button: disabled while the form is submitting, with a label saying so. */
export function SubmitButton({
  busy,
  busyLabel,
  children,
  className = "",
}: {
  busy: boolean;
  busyLabel: string;
  children: ReactNode;
  className?: string;
}) {
  return (
    <button
      type="submit"
      disabled={busy}
      className={`rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 disabled:opacity-60 ${className}`.trim()}
    >
      {busy ? busyLabel : children}
    </button>
  );
}
