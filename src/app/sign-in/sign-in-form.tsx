"use client";

import { signIn } from "next-auth/react";
import { useActionState } from "react";
import { FormAlert } from "@/components/form-alert";
import { SubmitButton } from "@/components/submit-button";
import { TextField } from "@/components/text-field";
import { signInSchema } from "@/lib/schemas/sign-in";
import { signInWithPassword } from "./sign-in-with-password";

type State = { error: string | null; email: string; done: boolean };

type Props = { callbackUrl: string; initialError: string | null; githubEnabled: boolean };

/**
 * Signs in through the Auth.js endpoints (CSRF token, then the credentials callback), the
 * same requests the integration tests make, and then loads `callbackUrl`. Too many failures
 * for the account or from this address: the wait is shown (signInWithPassword).
 */
export function SignInForm({ callbackUrl, initialError, githubEnabled }: Props) {
  const [state, formAction, pending] = useActionState(
    async (_previous: State, form: FormData): Promise<State> => {
      const email = String(form.get("email") ?? "");
      const parsed = signInSchema.safeParse({ email, password: form.get("password") });
      if (!parsed.success) return { error: "Enter your email and password.", email, done: false };
      try {
        const result = await signInWithPassword(parsed.data, callbackUrl);
        if (result.outcome !== "signed-in") return { error: result.message, email, done: false };
      } catch {
        return { error: "Could not reach the server. Check your connection and try again.", email, done: false };
      }
      // A full load, so that the header and every server component see the new session.
      window.location.assign(callbackUrl);
      return { error: null, email, done: true };
    },
    { error: initialError, email: "", done: false },
  );
  const busy = pending || state.done;

  return (
    <div className="flex flex-col gap-6">
      <form action={formAction} noValidate className="flex flex-col gap-4" aria-describedby="sign-in-alert">
        <FormAlert id="sign-in-alert" message={state.error} />
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="email"
          required
          defaultValue={state.email}
        />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" required />
        <SubmitButton busy={busy} busyLabel="Signing in…">
          Sign in
        </SubmitButton>
      </form>
      {githubEnabled && (
        <button
          type="button"
          onClick={() => void signIn("github", { redirectTo: callbackUrl })}
          className="rounded-md border border-slate-300 bg-white px-4 py-2 font-medium hover:bg-slate-100"
        >
          Continue with GitHub
        </button>
      )}
    </div>
  );
}
