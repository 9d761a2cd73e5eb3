/**
 * `npm run api-key -- --email <email> [--name <name>] [--rotate]`
 *
 * Creates an API key for the user with this email, creating the user if there is none
 * (such a user has no password: it cannot sign in with one, only use its keys). Prints the
 * secret alone on the last line, so scripts can take it with `tail -n 1`.
 *
 * Needs only DATABASE_URL (read from .env when it is not set): the database client
 * validates just the database variables, not the app's Auth.js and Stripe secrets.
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { apiKeyNameSchema } from "../src/lib/schemas/api-key";
import { emailSchema } from "../src/lib/schemas/email";
import { createApiKey } from "../src/server/auth/api-keys";
import { db } from "../src/server/db";

const USAGE = `Usage: npm run api-key -- --email <email> [--name <name>] [--rotate]

Creates an API key for <email> (and the user, without a password, if missing) and prints
the secret on the last line. It is shown once; only its SHA-256 hash is stored.

  --email <email>  owner of the key (required)
  --name <name>    label shown in the key list (default: cli)
  --rotate         first revoke this user's active keys with the same name
  --help           show this help

DATABASE_URL selects the database; when unset it is read from .env.`;

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

  if (!process.env.DATABASE_URL && existsSync(".env")) process.loadEnvFile(".env");
  if (!process.env.DATABASE_URL) fail("DATABASE_URL is not set (and no .env sets it).");

  try {
    const user = await db().user.upsert({
      where: { email: email.data },
      create: { email: email.data },
      update: {},
      select: { id: true, email: true, passwordHash: true },
    });
    const { apiKey, secret } = await createApiKey(user.id, name.data, { replaceSameName: values.rotate });
    const note = user.passwordHash ? "" : " (this user has no password: it signs in with keys only)";
    process.stdout.write(`API key "${apiKey.name}" (${apiKey.prefix}…) for ${user.email}${note}.\n`);
    process.stdout.write(`It is shown once; store it now:\n${secret}\n`);
  } finally {
    await db().$disconnect();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`api-key: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
