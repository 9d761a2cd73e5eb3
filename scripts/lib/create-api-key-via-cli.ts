import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export type ApiKeyViaCliOptions = {
  /** Reuse the key kept in this file while it is still active; otherwise create one and keep it there. */
  keepIn?: string;
  /** Stops the CLI (e.g. when `npm run dev` is stopped while it runs). */
  signal?: AbortSignal;
};

/**
 * An API key for `email` (the user is created if missing), for scripts such as `npm run dev`
 * and the benchmark. It runs the `npm run api-key` CLI rather than importing src/server: that
 * code is server-only and loads only under the react-server condition, which these scripts do
 * not run with. Without `keepIn`, a fresh key that revokes the user's previous key of that name
 * (`--rotate`), so keys do not pile up.
 */
export async function createApiKeyViaCli(
  email: string,
  env: Record<string, string | undefined>,
  name = "dev",
  options: ApiKeyViaCliOptions = {},
): Promise<string> {
  const { keepIn, signal } = options;
  const { stdout } = await run(
    path.resolve("node_modules/.bin/tsx"),
    ["--conditions=react-server", "scripts/create-api-key.ts", "--email", email, "--name", name, ...(keepIn ? ["--keep-in", keepIn] : ["--rotate"])],
    { env: { ...process.env, ...env }, signal },
  );
  const secret = stdout.trim().split("\n").at(-1);
  if (!secret) throw new Error("scripts/create-api-key.ts printed no key");
  return secret;
}
