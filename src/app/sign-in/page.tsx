import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { env } from "@/env";
import { safeCallbackUrl } from "@/lib/safe-callback-url";
import { auth } from "@/server/auth/config";
import { signInErrorMessage } from "./sign-in-error-message";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in · Idempotent payments" };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export default async function SignInPage({ searchParams }: Props) {
  const params = await searchParams;
  const callbackUrl = safeCallbackUrl(first(params.callbackUrl));
  if ((await auth())?.user) redirect(callbackUrl);
  const { AUTH_GITHUB_ID, AUTH_GITHUB_SECRET } = env();

  return (
    <main className="mx-auto flex max-w-sm flex-col gap-6 px-6 py-16">
      <h1 className="text-2xl font-semibold tracking-tight">Sign in</h1>
      {/* Auth.js sends errors of its own endpoints here as ?error=<type>. */}
      <SignInForm
        callbackUrl={callbackUrl}
        initialError={signInErrorMessage(first(params.error))}
        githubEnabled={Boolean(AUTH_GITHUB_ID && AUTH_GITHUB_SECRET)}
      />
      <p className="text-sm text-slate-600">
        No account yet?{" "}
        <Link href={`/sign-up?${new URLSearchParams({ callbackUrl })}`} className="font-medium text-indigo-700 underline">
          Create one
        </Link>
      </p>
    </main>
  );
}
