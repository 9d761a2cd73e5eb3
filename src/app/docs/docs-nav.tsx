const focusClass = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

/** The documentation's pages, and the machine-readable document they are made from. */
const PAGES = [
  { href: "/docs", label: "Overview" },
  { href: "/docs/api", label: "API reference" },
  { href: "/docs/errors", label: "Error codes" },
] as const;

export type DocsPage = (typeof PAGES)[number]["href"];

/**
 * The row of links at the top of every page under /docs: the current page is marked (and
 * announced) as such.
 *
 * The documentation's pages link each other with plain <a>, loaded by the browser rather than
 * by Next.js's router: after a page was opened at an anchor (/docs/errors#card_declined, a
 * problem's `type`), the router sends a later <Link> to the same page back to that anchor; and
 * /docs/api starts best afresh, swagger-ui reading its deep link (#/<tag>/<operationId>) from
 * the address the browser loaded.
 */
export function DocsNav({ current }: { current: DocsPage }) {
  return (
    <nav aria-label="Documentation" className="-mx-1 flex flex-wrap items-center gap-x-1 gap-y-2 text-sm">
      {PAGES.map(({ href, label }) => (
        <a
          key={href}
          href={href}
          aria-current={href === current ? "page" : undefined}
          className={`rounded-md px-2.5 py-1 font-medium ${
            href === current ? "bg-indigo-50 text-indigo-800 ring-1 ring-indigo-600/20 ring-inset" : "text-slate-700 hover:bg-slate-100 hover:text-slate-950"
          } ${focusClass}`}
        >
          {label}
        </a>
      ))}
      <a href="/api/openapi.json" className={`rounded-md px-2.5 py-1 font-medium text-slate-700 hover:bg-slate-100 hover:text-slate-950 ${focusClass}`}>
        <code className="font-mono text-[0.8125rem]">openapi.json</code>
      </a>
    </nav>
  );
}

export const linkClass = `rounded font-medium text-indigo-700 underline-offset-4 hover:underline ${focusClass}`;
