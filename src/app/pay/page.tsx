import type { Metadata } from "next";
import { env, stripeJsConfig } from "@/env";
import { requirePageUser } from "@/server/auth/require-page-user";
import { PayForm } from "./pay-form";

export const metadata: Metadata = { title: "Checkout · Idempotent payments" };

export default async function PayPage() {
  await requirePageUser("/pay");
  const stripeJs = stripeJsConfig(env());
  const testMode = stripeJs.publishableKey.startsWith("pk_test_");
  return (
    <main className="mx-auto flex w-full max-w-4xl flex-col gap-6 px-4 py-8 sm:px-6 sm:py-12">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">Checkout</h1>
        {testMode && (
          <span className="rounded-full bg-amber-100 px-2.5 py-0.5 text-xs font-semibold uppercase tracking-wide text-amber-900">
            Test mode
          </span>
        )}
      </div>
      <PayForm stripeJs={stripeJs} testMode={testMode} />
    </main>
  );
}
