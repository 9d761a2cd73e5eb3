import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * A fresh API key named `name` for `email` (the user is created if missing), for scripts
 * such as `npm run dev` and the benchmark. It runs the `npm run api-key` CLI rather than
 * importing src/server: that code is server-only and loads only under the react-server
 * condition, which these scripts do not run with. `--rotate` revokes the previous key of
 * that name, so keys do not pile up.
 */
export async function createApiKeyViaCli(
  email: string,
  env: Record<string, string | undefined>,
  name = "dev",
): Promise<string> {
  const { stdout } = await run(
    path.resolve("node_modules/.bin/tsx"),
    ["--conditions=react-server", "scripts/create-api-key.ts", "--email", email, "--name", name, "--rotate"],
    { env: { ...process.env, ...env } },
  );
  const secret = stdout.trim().split("\n").at(-1);
  if (!secret) throw new Error("scripts/create-api-key.ts printed no key");
  return secret;
}
