import type { ReactNode } from "react";

/** One term and its value in a `<dl>` of details: side by side from 640 px, stacked below. */
export function DetailRow({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-1 py-3 sm:flex-row sm:gap-4">
      <dt className="shrink-0 text-slate-500 sm:w-36">{term}</dt>
      <dd className="min-w-0 text-slate-900">{children}</dd>
    </div>
  );
}
