import Link from "next/link";

export default function HomePage() {
  return (
    <main className="mx-auto flex max-w-2xl flex-col gap-6 px-6 py-16">
      <h1 className="text-3xl font-semibold tracking-tight">Idempotent payments</h1>
      <p className="text-lg text-slate-600">
        Click Pay twice, lose the network, retry from a script: you are charged exactly once.
      </p>
      <ul className="list-disc space-y-1 pl-6 text-slate-700">
        <li>
          Every payment request carries an <code className="rounded bg-slate-200 px-1">Idempotency-Key</code>.
        </li>
        <li>Retries with the same key replay the first answer; they never charge again.</li>
        <li>PostgreSQL coordinates every app instance; Stripe is never called without a claimed key.</li>
      </ul>
      <div className="flex flex-wrap gap-3">
        <Link
          href="/pay"
          className="rounded-md bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
        >
          Make a payment
        </Link>
        <Link
          href="/payments"
          className="rounded-md border border-slate-300 bg-white px-4 py-2 font-medium text-slate-800 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
        >
          Payment history
        </Link>
      </div>
      <p className="text-sm text-slate-500">
        Health: <a className="underline" href="/api/health">/api/health</a>
      </p>
    </main>
  );
}
