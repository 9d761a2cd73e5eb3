"use client";

import Link from "next/link";
import { useActionState } from "react";
import { FormAlert } from "@/components/form-alert";
import { SubmitButton } from "@/components/submit-button";
import { TextField } from "@/components/text-field";
import { apiClient } from "@/lib/api-client";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, signUpSchema } from "@/lib/schemas/sign-up";
import { tooManyAttemptsMessage } from "@/app/sign-in/sign-in-error-message";
import { signInWithPassword } from "@/app/sign-in/sign-in-with-password";

type Field = "name" | "email" | "password";
type State = {
  error: string | null;
  fields: Partial<Record<Field, string>>;
  values: { name: string; email: string };
  /** The account exists but signing in failed: offer the sign-in page. */
  created: boolean;
  done: boolean;
};

const INITIAL: State = { error: null, fields: {}, values: { name: "", email: "" }, created: false, done: false };

function fieldErrors(issues: Array<{ path: string; message: string }>): State["fields"] {
  const fields: State["fields"] = {};
  for (const { path, message } of issues) {
    if (path === "name" || path === "email" || path === "password") fields[path] ??= message;
  }
  return fields;
}

/**
 * Checks the form with the same schema as the server, creates the account with
 * POST /api/auth/sign-up (429 with the wait once an address asked too often), then signs in
 * through Auth.js like the sign-in page does.
 */
export function SignUpForm({ callbackUrl }: { callbackUrl: string }) {
  const [state, formAction, pending] = useActionState(async (_previous: State, form: FormData): Promise<State> => {
    const values = { name: String(form.get("name") ?? ""), email: String(form.get("email") ?? "") };
    const fail = (patch: Partial<State>): State => ({ ...INITIAL, values, ...patch });
    const parsed = signUpSchema.safeParse({ ...values, password: form.get("password") ?? "" });
    if (!parsed.success) {
      return fail({ fields: fieldErrors(parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }))) });
    }

    try {
      const { response, error } = await apiClient().POST("/api/auth/sign-up", { body: parsed.data });
      if (response.status === 429) return fail({ error: tooManyAttemptsMessage(response.headers.get("retry-after")) });
      if (!response.ok) {
        const problem = typeof error === "object" && error !== null ? (error as { errors?: Array<{ path: string; message: string }> }) : null;
        const fields = fieldErrors(problem?.errors ?? []);
        return Object.keys(fields).length > 0
          ? fail({ fields })
          : fail({ error: "Could not create your account right now. Try again in a moment." });
      }
      const result = await signInWithPassword({ email: parsed.data.email, password: parsed.data.password }, callbackUrl);
      if (result.outcome !== "signed-in") {
        const why = result.outcome === "throttled" ? ` ${result.message}` : "";
        return fail({ error: `Your account was created, but signing in failed.${why}`, created: true });
      }
    } catch {
      return fail({ error: "Could not reach the server. Check your connection and try again." });
    }
    window.location.assign(callbackUrl);
    return { ...INITIAL, values, done: true };
  }, INITIAL);
  const busy = pending || state.done;

  return (
    <form action={formAction} noValidate className="flex flex-col gap-4" aria-describedby="sign-up-alert">
      <FormAlert id="sign-up-alert" message={state.error} />
      {state.created && (
        <Link href={`/sign-in?${new URLSearchParams({ callbackUrl })}`} className="text-sm font-medium text-indigo-700 underline">
          Sign in
        </Link>
      )}
      <TextField
        label="Name (optional)"
        name="name"
        autoComplete="name"
        maxLength={100}
        defaultValue={state.values.name}
        error={state.fields.name}
      />
      <TextField
        label="Email"
        name="email"
        type="email"
        autoComplete="email"
        required
        defaultValue={state.values.email}
        error={state.fields.email}
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        hint={`At least ${PASSWORD_MIN_LENGTH} characters (at most ${PASSWORD_MAX_LENGTH}). A few unrelated words work well.`}
        error={state.fields.password}
      />
      <SubmitButton busy={busy} busyLabel="Creating your account…">
        Create account
      </SubmitButton>
    </form>
  );
}
