import type { Metadata } from "next";
import { listApiKeys } from "@/server/auth/api-keys";
import { requirePageUser } from "@/server/auth/require-page-user";
import { ApiKeysManager, type ApiKeyRow } from "./api-keys-manager";

export const metadata: Metadata = { title: "API keys · Idempotent payments" };

export default async function ApiKeysPage() {
  const user = await requirePageUser("/settings/api-keys");
  const keys = await listApiKeys(user.id);
  const rows: ApiKeyRow[] = keys.map((key) => ({
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  }));

  return (
    <main className="mx-auto flex w-full max-w-4xl flex-col gap-6 px-4 py-8 sm:px-6 sm:py-10">
      <div className="flex flex-col gap-2">
        <h1 className="text-2xl font-semibold tracking-tight">API keys</h1>
        <p className="text-slate-600">
          Scripts call the API with <code className="rounded bg-slate-200 px-1">Authorization: Bearer &lt;key&gt;</code>.
          A key acts as you: keep it secret, and revoke it as soon as it is no longer needed or may have leaked.
          Only a hash of each key is stored, so a lost key cannot be shown again.
        </p>
      </div>
      <ApiKeysManager keys={rows} />
    </main>
  );
}
