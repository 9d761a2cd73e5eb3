import type { Metadata } from "next";
import { DocsNav } from "./docs-nav";

export const metadata: Metadata = {
  title: "Documentation · Idempotent payments",
  description: "The payments API: its reference, generated from the OpenAPI document, and every error code.",
};

const focusClass = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";
const cardClass = `group flex flex-col gap-2 rounded-xl border border-slate-200 bg-white px-5 py-5 shadow-sm hover:border-indigo-300 hover:bg-indigo-50/40 ${focusClass}`;

/** Where the documentation starts: the API reference, the error codes, and the document itself. */
export default function DocsPage() {
  return (
    <main className="mx-auto flex w-full max-w-4xl flex-col gap-8 px-4 py-8 sm:px-6 sm:py-12">
      <div className="flex flex-col gap-4">
        <DocsNav current="/docs" />
        <div className="flex flex-col gap-2">
          <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">Documentation</h1>
          <p className="text-lg text-slate-600">
            Every money-moving request carries an <code className="rounded bg-slate-200 px-1 font-mono text-[0.875em]">Idempotency-Key</code>:
            retry it as often as you like, it runs once.
          </p>
        </div>
      </div>
      <ul className="grid gap-4 sm:grid-cols-2">
        <li className="flex">
          <a href="/docs/api" className={`${cardClass} grow`}>
            <span className="text-lg font-semibold text-slate-900 group-hover:text-indigo-800">API reference →</span>
            <span className="text-slate-600">Every operation, its parameters, answers and error codes, from the OpenAPI document. Try them out from the page.</span>
          </a>
        </li>
        <li className="flex">
          <a href="/docs/errors" className={`${cardClass} grow`}>
            <span className="text-lg font-semibold text-slate-900 group-hover:text-indigo-800">Error codes →</span>
            <span className="text-slate-600">What each problem&apos;s <code className="font-mono text-[0.875em]">code</code> means, and whether to retry it with the same key, a new one, or not at all.</span>
          </a>
        </li>
      </ul>
      <p className="text-sm text-slate-600">
        The OpenAPI 3.1 document, for code generators and tools:{" "}
        <a href="/api/openapi.json" className={`font-mono font-medium text-indigo-700 underline-offset-4 hover:underline ${focusClass}`}>
          /api/openapi.json
        </a>
      </p>
    </main>
  );
}
