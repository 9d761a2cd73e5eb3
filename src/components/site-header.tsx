import Link from "next/link";
import { auth } from "@/server/auth/config";
import { SignOutButton } from "./sign-out-button";

const focusClass = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";
const linkClass = `rounded px-1 text-slate-700 underline-offset-4 hover:text-slate-950 hover:underline ${focusClass}`;

/**
 * The top bar: who is signed in, with sign-out, or the ways to sign in. One row from `lg`;
 * narrower (a phone is 375 px), two rows of a grid over the same elements: the site's name
 * and the email, then the links and sign-out. The focus order (name, links, sign-out) stays
 * the reading order at every width.
 */
export async function SiteHeader() {
  const session = await auth();
  const user = session?.user;
  return (
    <header className="border-b border-slate-200 bg-white">
      <nav
        aria-label="Main"
        className="mx-auto grid max-w-4xl grid-cols-[auto_minmax(0,1fr)] items-center gap-x-3 gap-y-2 px-4 py-3 sm:px-6 lg:flex lg:flex-wrap lg:justify-between"
      >
        <Link href="/" className={`rounded font-semibold tracking-tight ${focusClass}`}>
          Idempotent payments
        </Link>
        {user ? (
          // `contents` below lg: its children are cells of the nav's grid.
          <div className="contents text-sm lg:flex lg:items-center lg:gap-x-4">
            <div className="col-start-1 row-start-2 -ml-1 flex items-center gap-x-3 lg:ml-0 lg:gap-x-4">
              <Link href="/pay" className={linkClass}>
                Pay
              </Link>
              <Link href="/payments" className={linkClass}>
                Payments
              </Link>
              <Link href="/settings/api-keys" className={linkClass}>
                API keys
              </Link>
            </div>
            <span className="col-start-2 row-start-1 flex min-w-0 justify-end text-slate-600 lg:gap-1">
              <span className="sr-only lg:not-sr-only">Signed in as </span>
              <strong title={user.email ?? undefined} className="truncate font-medium text-slate-900 lg:max-w-56">
                {user.email}
              </strong>
            </span>
            <div className="col-start-2 row-start-2 flex justify-end">
              <SignOutButton />
            </div>
          </div>
        ) : (
          <div className="col-span-2 -ml-1 flex items-center gap-4 text-sm sm:col-span-1 sm:ml-0 sm:justify-end">
            <Link href="/sign-in" className={linkClass}>
              Sign in
            </Link>
            <Link
              href="/sign-up"
              className={`rounded-md bg-indigo-600 px-3 py-1 font-medium text-white hover:bg-indigo-700 ${focusClass}`}
            >
              Create account
            </Link>
          </div>
        )}
      </nav>
    </header>
  );
}
