"use client";

import { useRouter } from "next/navigation";
import { useActionState, useState, useTransition } from "react";
import { FormAlert } from "@/components/form-alert";
import { SubmitButton } from "@/components/submit-button";
import { TextField } from "@/components/text-field";
import { createApiKeySchema } from "@/lib/schemas/api-key";

type Moment = { iso: string; text: string };
export type ApiKeyRow = {
  id: string;
  name: string;
  prefix: string;
  created: Moment;
  lastUsed: Moment | null;
  revoked: Moment | null;
};

type NewKey = { name: string; secret: string };
type CreateState = { error: string | null; nameError: string | null; created: NewKey | null };

async function problemMessage(response: Response, fallback: string): Promise<string> {
  const problem = (await response.json().catch(() => null)) as { errors?: Array<{ message: string }>; detail?: string } | null;
  return problem?.errors?.[0]?.message ?? problem?.detail ?? fallback;
}

/** Create and revoke keys through /api/api-keys; the list itself is rendered by the page. */
export function ApiKeysManager({ keys }: { keys: ApiKeyRow[] }) {
  const router = useRouter();
  const [createState, createAction, creating] = useActionState(
    async (_previous: CreateState, form: FormData): Promise<CreateState> => {
      const parsed = createApiKeySchema.safeParse({ name: form.get("name") ?? "" });
      if (!parsed.success) return { error: null, nameError: parsed.error.issues[0]?.message ?? "Invalid name", created: null };
      try {
        const response = await fetch("/api/api-keys", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(parsed.data),
        });
        if (!response.ok) {
          return { error: await problemMessage(response, "Could not create the key."), nameError: null, created: null };
        }
        const key = (await response.json()) as NewKey;
        router.refresh();
        return { error: null, nameError: null, created: { name: key.name, secret: key.secret } };
      } catch {
        return { error: "Could not reach the server. Try again.", nameError: null, created: null };
      }
    },
    { error: null, nameError: null, created: null },
  );
  const [dismissed, setDismissed] = useState<string | null>(null);
  const shown = createState.created && createState.created.secret !== dismissed ? createState.created : null;

  return (
    <div className="flex flex-col gap-8">
      <section aria-labelledby="create-key" className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-5">
        <h2 id="create-key" className="text-lg font-semibold">
          Create a key
        </h2>
        <form action={createAction} noValidate className="flex flex-col gap-3 sm:flex-row sm:items-start">
          <TextField
            label="Name"
            name="name"
            hint="What will use it, e.g. “nightly export”."
            maxLength={100}
            error={createState.nameError}
            className="grow"
          />
          <SubmitButton busy={creating} busyLabel="Creating…" className="sm:mt-6">
            Create key
          </SubmitButton>
        </form>
        <FormAlert message={createState.error} />
        {shown && <NewKeyPanel created={shown} onDismiss={() => setDismissed(shown.secret)} />}
      </section>

      <section aria-labelledby="your-keys" className="flex flex-col gap-3">
        <h2 id="your-keys" className="text-lg font-semibold">
          Your keys
        </h2>
        {keys.length === 0 ? (
          <p className="text-slate-600">No keys yet.</p>
        ) : (
          <KeyTable keys={keys} />
        )}
      </section>
    </div>
  );
}

function NewKeyPanel({ created, onDismiss }: { created: NewKey; onDismiss: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <div role="status" className="flex flex-col gap-3 rounded-md border border-emerald-300 bg-emerald-50 p-4">
      <p className="font-medium text-emerald-900">
        Key “{created.name}” created. Copy it now: it will not be shown again.
      </p>
      <code className="break-all rounded bg-white px-3 py-2 font-mono text-sm text-slate-900" aria-label="New API key">
        {created.secret}
      </code>
      <div className="flex items-center gap-3">
        <button
          type="button"
          onClick={() =>
            navigator.clipboard.writeText(created.secret).then(
              () => setCopied("Copied to the clipboard."),
              () => setCopied("Copying failed: select the key and copy it by hand."),
            )
          }
          className="rounded-md bg-emerald-700 px-3 py-1 text-sm font-medium text-white hover:bg-emerald-800"
        >
          Copy
        </button>
        <button type="button" onClick={onDismiss} className="rounded-md border border-emerald-700 px-3 py-1 text-sm text-emerald-900">
          Done
        </button>
        <span aria-live="polite" className="text-sm text-emerald-900">
          {copied}
        </span>
      </div>
    </div>
  );
}

function KeyTable({ keys }: { keys: ApiKeyRow[] }) {
  const router = useRouter();
  const [revoking, startRevoke] = useTransition();
  const [error, setError] = useState<string | null>(null);

  const revoke = (key: ApiKeyRow) => {
    if (!window.confirm(`Revoke “${key.name}”? Scripts using it will get 401 from now on.`)) return;
    startRevoke(async () => {
      try {
        const response = await fetch(`/api/api-keys/${encodeURIComponent(key.id)}`, { method: "DELETE" });
        setError(response.ok ? null : await problemMessage(response, "Could not revoke the key."));
      } catch {
        setError("Could not reach the server. Try again.");
      }
      router.refresh();
    });
  };

  return (
    <>
      <FormAlert message={error} />
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="w-full text-left text-sm">
          <thead className="bg-slate-100 text-slate-700">
            <tr>
              <th scope="col" className="px-4 py-2 font-medium">Name</th>
              <th scope="col" className="px-4 py-2 font-medium">Key</th>
              <th scope="col" className="px-4 py-2 font-medium">Created</th>
              <th scope="col" className="px-4 py-2 font-medium">Last used</th>
              <th scope="col" className="px-4 py-2 font-medium">Status</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id} className="border-t border-slate-200">
                <td className="px-4 py-2 font-medium">{key.name}</td>
                <td className="px-4 py-2 font-mono">{key.prefix}…</td>
                <td className="px-4 py-2">
                  <time dateTime={key.created.iso}>{key.created.text}</time>
                </td>
                <td className="px-4 py-2">
                  {key.lastUsed ? <time dateTime={key.lastUsed.iso}>{key.lastUsed.text}</time> : "Never"}
                </td>
                <td className="px-4 py-2">
                  {key.revoked ? (
                    <span className="text-slate-500">
                      Revoked <time dateTime={key.revoked.iso}>{key.revoked.text}</time>
                    </span>
                  ) : (
                    <button
                      type="button"
                      disabled={revoking}
                      onClick={() => revoke(key)}
                      aria-label={`Revoke ${key.name}`}
                      className="rounded-md border border-red-300 px-3 py-1 text-red-700 hover:bg-red-50 disabled:opacity-60"
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
