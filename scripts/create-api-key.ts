/**
 * `npm run api-key -- --email <email> [--name <name>] [--rotate] [--keep-in <file>]`
 *
 * Creates an API key for the user with this email, creating the user if there is none
 * (such a user has no password: it cannot sign in with one, only use its keys). Prints the
 * secret alone on the last line, so scripts can take it with `tail -n 1`.
 *
 * Needs only DATABASE_URL (from the environment or the .env files): the database client
 * validates just the database variables, not the app's Auth.js and Stripe secrets.
 */
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { parseDatabaseEnv } from "../src/env";
import { apiKeyNameSchema } from "../src/lib/schemas/api-key";
import { emailSchema } from "../src/lib/schemas/email";
import { createApiKey, listApiKeys } from "../src/server/auth/api-keys";
import { db, disconnect } from "../src/server/db";
import { CliConfig } from "./lib/cli-config";

const USAGE = `Usage: npm run api-key -- --email <email> [--name <name>] [--rotate] [--keep-in <file>]

Creates an API key for <email> (and the user, without a password, if missing) and prints
the secret on the last line. It is shown once; only its SHA-256 hash is stored.

  --email <email>   owner of the key (required)
  --name <name>     label shown in the key list (default: cli)
  --rotate          first revoke this user's active keys with the same name
  --keep-in <file>  reuse the key kept in <file> while it is still one of this user's active
                    keys with this name; otherwise create one as --rotate does and keep it
                    there (readable by you only)
  --help            show this help

DATABASE_URL selects the database: from the environment or the .env files
(.env.development.local, written by npm run dev, included).`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        email: { type: "string" },
        name: { type: "string", default: "cli" },
        rotate: { type: "boolean", default: false },
        "keep-in": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const email = emailSchema.safeParse(values.email);
  if (!email.success) fail(`--email: ${email.error.issues[0]?.message ?? "invalid"}`);
  const name = apiKeyNameSchema.safeParse(values.name);
  if (!name.success) fail(`--name: ${name.error.issues[0]?.message ?? "invalid"}`);
  const keepIn = values["keep-in"];

  const config = new CliConfig("api-key");
  config.require("DATABASE_URL");
  config.validate(() => parseDatabaseEnv(process.env));
  await config.requireDatabase();

  try {
    const user = await db().user.upsert({
      where: { email: email.data },
      create: { email: email.data },
      update: {},
      select: { id: true, email: true, passwordHash: true },
    });
    const note = user.passwordHash ? "" : " (this user has no password: it signs in with keys only)";
    const kept = keepIn ? await keptKey(keepIn, user.id, name.data) : null;
    if (kept) {
      process.stdout.write(`API key "${name.data}" (${kept.slice(0, 12)}…) for ${user.email}${note}, kept in ${keepIn}.\n${kept}\n`);
      return;
    }
    const { apiKey, secret } = await createApiKey(user.id, name.data, { replaceSameName: values.rotate || Boolean(keepIn) });
    if (keepIn) {
      await mkdir(path.dirname(keepIn), { recursive: true });
      await writeFile(keepIn, `${secret}\n`, { mode: 0o600 });
      await chmod(keepIn, 0o600); // a file that was there keeps its mode through writeFile
    }
    process.stdout.write(`API key "${apiKey.name}" (${apiKey.prefix}…) for ${user.email}${note}.\n`);
    process.stdout.write(keepIn ? `Kept in ${keepIn}:\n${secret}\n` : `It is shown once; store it now:\n${secret}\n`);
  } finally {
    await disconnect();
  }
}

/**
 * The key kept in `file` if it is still one of the user's active keys of this name. Judged by
 * its stored prefix (48 random bits), which only tells this file's key from the user's other
 * keys; authenticating it would also record a use of it.
 */
async function keptKey(file: string, userId: string, name: string): Promise<string | null> {
  if (!existsSync(file)) return null;
  const secret = readFileSync(file, "utf8").trim();
  const keys = await listApiKeys(userId);
  const active = keys.some((key) => key.name === name && !key.revokedAt && secret.length > key.prefix.length && secret.startsWith(key.prefix));
  return active ? secret : null;
}

main().catch((error: unknown) => {
  process.stderr.write(`api-key: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
