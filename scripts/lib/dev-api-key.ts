import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * A fresh API key named "dev" for `email`, for `npm run dev` to print. It runs the
 * `npm run api-key` CLI rather than importing src/server: that code is server-only and
 * loads only under the react-server condition, which scripts/dev.ts does not run with.
 * `--rotate` revokes the previous start's key, so keys do not pile up.
 */
export async function createDevApiKey(email: string, env: Record<string, string | undefined>): Promise<string> {
  const { stdout } = await run(
    path.resolve("node_modules/.bin/tsx"),
    ["--conditions=react-server", "scripts/create-api-key.ts", "--email", email, "--name", "dev", "--rotate"],
    { env: { ...process.env, ...env } },
  );
  const secret = stdout.trim().split("\n").at(-1);
  if (!secret) throw new Error("scripts/create-api-key.ts printed no key");
  return secret;
}
