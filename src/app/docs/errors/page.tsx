import type { Metadata } from "next";
import { STATUS_CODES } from "node:http";
import { DetailRow } from "@/components/detail-row";
import { ERROR_CODE_NAMES, ERROR_CODES, RETRY_HINTS, errorTypeUrl, type ErrorCode } from "@/lib/error-codes";
import { openApiDocument } from "@/lib/openapi/document";
import { DocsNav, linkClass } from "../docs-nav";
import { BreakableName, InlineCode } from "../inline-code";
import { RETRY_HINT_TEXT, RetryHintBadge } from "../retry-hints";
import { operationsByCode, referenceHref, type OperationRef, type OperationsByCode } from "./operations-by-code";

export const metadata: Metadata = {
  title: "Error codes · Idempotent payments",
  description: "Every error code of the payments API: its status, what it means, and whether to retry.",
};

/** The problem shown as an example: the one docs/API.md shows too. */
const EXAMPLE_CODE: ErrorCode = "idempotency_key_reused";

/**
 * Every error the API answers, one section per code, made from src/lib/error-codes.ts: the
 * target of every problem's `type` (`/docs/errors#<code>`), so each section's id is its code.
 * Which operations answer a code comes from the OpenAPI document. Server-rendered, no client
 * code: an anchor works before (and without) any script.
 */
export default function ErrorCodesPage() {
  const { operations, byCode } = answeringOperations();
  const example = ERROR_CODES[EXAMPLE_CODE];
  const exampleProblem = {
    type: errorTypeUrl(EXAMPLE_CODE),
    title: example.title,
    status: example.status,
    detail: "…",
    code: EXAMPLE_CODE,
    retry: example.retry,
    requestId: "req_…",
  };

  return (
    <main className="mx-auto flex w-full max-w-4xl flex-col gap-8 px-4 py-8 sm:px-6 sm:py-12">
      <div className="flex flex-col gap-4">
        <DocsNav current="/docs/errors" />
        <div className="flex flex-col gap-2">
          <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">Error codes</h1>
          <p className="text-lg text-slate-600">
            Every error the API answers, with what it means and whether a retry can help.
          </p>
        </div>
      </div>

      <section aria-labelledby="reading-an-error" className="flex flex-col gap-4 text-slate-700">
        <h2 id="reading-an-error" className="text-xl font-semibold tracking-tight text-slate-900">
          Reading an error
        </h2>
        <p>
          An error is an <code className="font-mono text-[0.875em]">application/problem+json</code> document (RFC 9457). Its{" "}
          <code className="font-mono text-[0.875em]">type</code> is the address of its section on this page,{" "}
          <code className="font-mono text-[0.875em]">/docs/errors#&lt;code&gt;</code>. Branch on{" "}
          <code className="font-mono text-[0.875em]">code</code>, not on the status: several codes share a status, and only
          the code says what to do. Quote <code className="font-mono text-[0.875em]">requestId</code> when you report a
          problem.
        </p>
        <pre className="overflow-x-auto rounded-lg bg-slate-900 px-4 py-3 font-mono text-xs leading-relaxed text-slate-100 sm:text-sm">
          <code>{JSON.stringify(exampleProblem, null, 2)}</code>
        </pre>
        <p>
          The <code className="font-mono text-[0.875em]">retry</code> member says what a client may do next. It is the same
          for every answer with a given code:
        </p>
        <dl className="flex flex-col gap-3">
          {RETRY_HINTS.map((hint) => (
            <div key={hint} className="flex flex-col gap-1.5 rounded-lg border border-slate-200 bg-white px-4 py-3 sm:flex-row sm:gap-4">
              <dt className="shrink-0 sm:w-28">
                <RetryHintBadge hint={hint} />
              </dt>
              <dd className="flex flex-col gap-0.5">
                <span className="font-medium text-slate-900">{RETRY_HINT_TEXT[hint].label}.</span>
                <span className="text-sm text-slate-600">{RETRY_HINT_TEXT[hint].explanation}</span>
              </dd>
            </div>
          ))}
        </dl>
        <p>
          The <a href="/docs/api" className={linkClass}>API reference</a> lists the codes each operation can answer.
        </p>
      </section>

      <nav aria-labelledby="all-codes" className="flex flex-col gap-3">
        <h2 id="all-codes" className="text-xl font-semibold tracking-tight">
          All codes
        </h2>
        <ol className="grid gap-x-6 gap-y-1 sm:grid-cols-2">
          {ERROR_CODE_NAMES.map((code) => (
            <li key={code} className="flex min-w-0 items-baseline gap-3">
              <span className="w-8 shrink-0 text-sm tabular-nums text-slate-500">{ERROR_CODES[code].status}</span>
              <a href={`#${code}`} className={`min-w-0 font-mono text-sm ${linkClass}`}>
                <BreakableName name={code} />
              </a>
            </li>
          ))}
        </ol>
      </nav>

      <div className="flex flex-col gap-4">
        {ERROR_CODE_NAMES.map((code) => (
          <ErrorCodeSection key={code} code={code} answeredBy={byCode.get(code) ?? []} operationCount={operations.length} />
        ))}
      </div>
    </main>
  );
}

let answering: OperationsByCode | undefined;

/** Read from the document once per server: it is the same for every request (the defaults' policy does not change it). */
function answeringOperations(): OperationsByCode {
  return (answering ??= operationsByCode(openApiDocument()));
}

function ErrorCodeSection({ code, answeredBy, operationCount }: { code: ErrorCode; answeredBy: OperationRef[]; operationCount: number }) {
  const { status, title, meaning, retry } = ERROR_CODES[code];
  return (
    <section
      id={code}
      aria-labelledby={`${code}-heading`}
      className="scroll-mt-4 rounded-xl border border-slate-200 bg-white px-4 py-4 shadow-sm target:border-indigo-300 target:ring-2 target:ring-indigo-600/30 sm:px-6 sm:py-5"
    >
      <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
        <h2 id={`${code}-heading`} className="min-w-0 font-mono text-lg font-semibold text-slate-900">
          <a href={`#${code}`} className="rounded hover:underline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
            <BreakableName name={code} />
          </a>
        </h2>
        <span className="shrink-0 rounded-full bg-slate-100 px-2.5 py-0.5 text-sm font-medium tabular-nums text-slate-700 ring-1 ring-slate-500/20 ring-inset">
          {status} {STATUS_CODES[status]}
        </span>
      </div>
      <p className="mt-1 font-medium text-slate-800">{title}</p>
      <p className="mt-3 text-slate-700">
        <InlineCode text={meaning} />
      </p>
      <dl className="mt-4 divide-y divide-slate-100 border-t border-slate-100 text-sm">
        <DetailRow term="Retry">
          <span className="flex flex-wrap items-center gap-x-2 gap-y-1">
            <RetryHintBadge hint={retry} />
            <span>{RETRY_HINT_TEXT[retry].label}</span>
          </span>
        </DetailRow>
        {answeredBy.length > 0 && (
          <DetailRow term="Answered by">
            {answeredBy.length === operationCount ? (
              <span>
                Every operation (<a href="/docs/api" className={linkClass}>API reference</a>)
              </span>
            ) : (
              <ul className="flex flex-wrap gap-x-4 gap-y-1">
                {answeredBy.map((operation) => (
                  <li key={`${operation.method} ${operation.path}`}>
                    <a href={referenceHref(operation)} className={`font-mono text-[0.8125rem] ${linkClass}`}>
                      {operation.method} {operation.path}
                    </a>
                  </li>
                ))}
              </ul>
            )}
          </DetailRow>
        )}
      </dl>
    </section>
  );
}
