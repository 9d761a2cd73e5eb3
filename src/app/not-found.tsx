import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: "Page not found · Idempotent payments" };

const focusClass = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

/**
 * The 404 page, inside the root layout: for an address no route serves, and for every
 * `notFound()` of a page (a payment that does not exist, or is not the viewer's), since no
 * segment has a not-found page of its own. Links and no client code: Next.js sends the root
 * not-found page with every route.
 */
export default function NotFound() {
  return (
    <main className="mx-auto flex w-full max-w-2xl flex-col gap-6 px-4 py-12 sm:px-6 sm:py-16">
      <div className="flex flex-col gap-2">
        <p className="text-sm font-semibold text-indigo-700">404</p>
        <h1 className="text-3xl font-semibold tracking-tight">Page not found</h1>
      </div>
      <p className="text-lg text-slate-600">
        There is nothing at this address: the link may be mistyped, or what it pointed to does not exist.
      </p>
      <nav aria-label="Ways on" className="flex flex-wrap gap-3">
        <Link href="/" className={`rounded-md border border-transparent bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 ${focusClass}`}>
          Home
        </Link>
        <Link
          href="/pay"
          className={`rounded-md border border-slate-300 bg-white px-4 py-2 font-medium text-slate-800 hover:bg-slate-100 ${focusClass}`}
        >
          Checkout
        </Link>
        <Link
          href="/payments"
          className={`rounded-md border border-slate-300 bg-white px-4 py-2 font-medium text-slate-800 hover:bg-slate-100 ${focusClass}`}
        >
          Payments
        </Link>
      </nav>
    </main>
  );
}
