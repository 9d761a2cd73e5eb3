"use client";

import { useRouter } from "next/navigation";
import { useActionState, useState, useTransition } from "react";
import { FormAlert } from "@/components/form-alert";
import { SubmitButton } from "@/components/submit-button";
import { LocalTime } from "@/components/local-time";
import { TextField } from "@/components/text-field";
import { apiClient } from "@/lib/api-client";
import { createApiKeySchema } from "@/lib/schemas/api-key";
import type { ApiKeyResponse } from "@/lib/schemas/api-key-response";

/** A key as the page lists it (the API's own shape); moments as ISO 8601, shown in the viewer's time zone. */
export type ApiKeyRow = ApiKeyResponse;

type NewKey = { name: string; secret: string };
type CreateState = { error: string | null; nameError: string | null; created: NewKey | null };

/** The first field error or the detail of a problem answer; `fallback` for anything else (a proxy's page). */
function problemMessage(error: unknown, fallback: string): string {
  const problem = typeof error === "object" && error !== null ? (error as { errors?: Array<{ message?: unknown }>; detail?: unknown }) : null;
  const message = problem?.errors?.[0]?.message ?? problem?.detail;
  return typeof message === "string" ? message : fallback;
}

/** Create and revoke keys through /api/api-keys; the list itself is rendered by the page. */
export function ApiKeysManager({ keys }: { keys: ApiKeyRow[] }) {
  const router = useRouter();
  const [createState, createAction, creating] = useActionState(
    async (_previous: CreateState, form: FormData): Promise<CreateState> => {
      const parsed = createApiKeySchema.safeParse({ name: form.get("name") ?? "" });
      if (!parsed.success) return { error: null, nameError: parsed.error.issues[0]?.message ?? "Invalid name", created: null };
      try {
        const { data: key, error } = await apiClient().POST("/api/api-keys", { body: parsed.data });
        if (!key) return { error: problemMessage(error, "Could not create the key."), nameError: null, created: null };
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
          <KeyList keys={keys} />
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

/**
 * One card per key, stacked on a phone and a row of columns from `sm`: the Revoke button
 * stays in view at any width, where a five-column table scrolled it off a phone's screen.
 */
function KeyList({ keys }: { keys: ApiKeyRow[] }) {
  const router = useRouter();
  const [revoking, startRevoke] = useTransition();
  const [error, setError] = useState<string | null>(null);

  const revoke = (key: ApiKeyRow) => {
    if (!window.confirm(`Revoke “${key.name}”? Scripts using it will get 401 from now on.`)) return;
    startRevoke(async () => {
      try {
        const { response, error } = await apiClient().DELETE("/api/api-keys/{id}", { params: { path: { id: key.id } } });
        setError(response.ok ? null : problemMessage(error, "Could not revoke the key."));
      } catch {
        setError("Could not reach the server. Try again.");
      }
      router.refresh();
    });
  };

  return (
    <>
      <FormAlert message={error} />
      <ul role="list" aria-labelledby="your-keys" className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
        {keys.map((key) => (
          <li key={key.id} className="flex flex-col gap-3 px-4 py-4 text-sm sm:flex-row sm:items-center sm:gap-6">
            <div className="flex min-w-0 grow flex-col gap-0.5">
              <span className={`break-words font-medium ${key.revokedAt ? "text-slate-500" : "text-slate-900"}`}>{key.name}</span>
              <span className="font-mono text-slate-600">
                <span className="sr-only">Key </span>
                {key.prefix}…
              </span>
            </div>
            <dl className="grid shrink-0 grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-0.5 text-slate-600 sm:w-72">
              <dt>Created</dt>
              <dd className="text-slate-900">
                <LocalTime iso={key.createdAt} />
              </dd>
              <dt>Last used</dt>
              <dd className="text-slate-900">{key.lastUsedAt ? <LocalTime iso={key.lastUsedAt} /> : "Never"}</dd>
              {key.revokedAt && (
                <>
                  <dt>Revoked</dt>
                  <dd className="text-red-700">
                    <LocalTime iso={key.revokedAt} />
                  </dd>
                </>
              )}
            </dl>
            {/* Kept for a revoked key too, empty, so that the columns line up from row to row. */}
            <div className="shrink-0 empty:hidden sm:w-20 sm:text-right sm:empty:block">
              {!key.revokedAt && (
                <button
                  type="button"
                  disabled={revoking}
                  onClick={() => revoke(key)}
                  aria-label={`Revoke ${key.name}`}
                  className="rounded-md border border-red-300 px-3 py-1 text-red-700 hover:bg-red-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600 disabled:opacity-60"
                >
                  Revoke
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}
