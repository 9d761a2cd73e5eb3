import type { Metadata } from "next";
import { DocsNav, linkClass } from "../docs-nav";
import { ApiReference } from "./api-reference";

export const metadata: Metadata = {
  title: "API reference · Idempotent payments",
  description: "The payments API's OpenAPI document, rendered: every operation, its parameters, answers and error codes.",
};

/** Served by src/app/api/openapi.json/route.ts, with this deployment's key policy. */
const SPEC_URL = "/api/openapi.json";

/**
 * The OpenAPI document of the API, rendered by swagger-ui (api-reference.tsx) from the
 * document this site serves, so the reference is what GET /api/openapi.json says, with this
 * deployment's key policy, and the page itself stays small.
 */
export default function ApiReferencePage() {
  return (
    <main className="mx-auto flex w-full max-w-4xl flex-col gap-6 px-4 py-8 sm:px-6 sm:py-12">
      <div className="flex flex-col gap-4">
        <DocsNav current="/docs/api" />
        <div className="flex flex-col gap-2">
          <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">API reference</h1>
          <p className="text-slate-600">
            Every operation with its parameters and answers, from the OpenAPI document at{" "}
            <a href={SPEC_URL} className={`font-mono text-[0.875em] ${linkClass}`}>
              {SPEC_URL}
            </a>
            . Errors are <code className="font-mono text-[0.875em]">application/problem+json</code>; what each{" "}
            <code className="font-mono text-[0.875em]">code</code> means and whether to retry it is in{" "}
            <a href="/docs/errors" className={linkClass}>
              Error codes
            </a>
            .
          </p>
        </div>
      </div>
      <noscript>
        <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          This reference needs JavaScript. The document itself is at <a href={SPEC_URL} className="font-medium underline">{SPEC_URL}</a>.
        </p>
      </noscript>
      <ApiReference specUrl={SPEC_URL} />
    </main>
  );
}
