import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { safeCallbackUrl } from "@/lib/safe-callback-url";
import { auth } from "@/server/auth/config";
import { SignUpForm } from "./sign-up-form";

export const metadata: Metadata = { title: "Create an account · Idempotent payments" };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function SignUpPage({ searchParams }: Props) {
  const { callbackUrl: requested } = await searchParams;
  const callbackUrl = safeCallbackUrl(Array.isArray(requested) ? requested[0] : requested);
  if ((await auth())?.user) redirect(callbackUrl);

  return (
    <main className="mx-auto flex max-w-sm flex-col gap-6 px-6 py-16">
      <h1 className="text-2xl font-semibold tracking-tight">Create an account</h1>
      <SignUpForm callbackUrl={callbackUrl} />
      <p className="text-sm text-slate-600">
        Already have an account?{" "}
        <Link href={`/sign-in?${new URLSearchParams({ callbackUrl })}`} className="font-medium text-indigo-700 underline">
          Sign in
        </Link>
      </p>
    </main>
  );
}
