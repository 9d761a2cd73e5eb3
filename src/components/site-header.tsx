import Link from "next/link";
import { auth } from "@/server/auth/config";
import { SignOutButton } from "./sign-out-button";

const linkClass = "rounded px-1 text-slate-700 underline-offset-4 hover:text-slate-950 hover:underline";

/** The top bar: who is signed in, with sign-out, or the ways to sign in. */
export async function SiteHeader() {
  const session = await auth();
  const user = session?.user;
  return (
    <header className="border-b border-slate-200 bg-white">
      <nav aria-label="Main" className="mx-auto flex max-w-4xl flex-wrap items-center justify-between gap-3 px-6 py-3">
        <Link href="/" className="font-semibold tracking-tight">
          Idempotent payments
        </Link>
        {user ? (
          <div className="flex flex-wrap items-center gap-x-4 gap-y-2 text-sm">
            <Link href="/pay" className={linkClass}>
              Pay
            </Link>
            <Link href="/payments" className={linkClass}>
              Payments
            </Link>
            <Link href="/settings/api-keys" className={linkClass}>
              API keys
            </Link>
            <span className="text-slate-600">
              Signed in as{" "}
              <strong title={user.email ?? undefined} className="inline-block max-w-56 truncate align-bottom font-medium text-slate-900">
                {user.email}
              </strong>
            </span>
            <SignOutButton />
          </div>
        ) : (
          <div className="flex items-center gap-4 text-sm">
            <Link href="/sign-in" className={linkClass}>
              Sign in
            </Link>
            <Link href="/sign-up" className="rounded-md bg-indigo-600 px-3 py-1 font-medium text-white hover:bg-indigo-700">
              Create account
            </Link>
          </div>
        )}
      </nav>
    </header>
  );
}
