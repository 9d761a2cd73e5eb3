import { type ComponentPropsWithRef } from "react";

type Props = {
  label: string;
  name: string;
  /** Shown under the field and announced by screen readers when it appears. */
  error?: string | null;
  hint?: string;
} & Omit<ComponentPropsWithRef<"input">, "name">;

/** A labelled input whose hint and error are tied to it for assistive technology. */
export function TextField({ label, name, error, hint, id = name, className = "", ...input }: Props) {
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  return (
    <div className={`flex flex-col gap-1 ${className}`}>
      <label htmlFor={id} className="text-sm font-medium text-slate-800">
        {label}
      </label>
      <input
        id={id}
        name={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={hint ? `${hintId} ${errorId}` : errorId}
        className="rounded-md border border-slate-300 bg-white px-3 py-2 text-base shadow-sm outline-none focus:border-indigo-500 focus:ring-2 focus:ring-indigo-200 aria-invalid:border-red-600 aria-invalid:ring-red-100"
        {...input}
      />
      {hint && (
        <p id={hintId} className="text-xs text-slate-500">
          {hint}
        </p>
      )}
      {/* Always rendered, so that a message appearing in it is announced. */}
      <p id={errorId} aria-live="polite" className="text-sm text-red-700 empty:hidden">
        {error}
      </p>
    </div>
  );
}
