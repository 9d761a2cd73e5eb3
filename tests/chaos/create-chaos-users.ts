/**
 * `tsx --conditions=react-server tests/chaos/create-chaos-users.ts <role>…` with DATABASE_URL:
 * creates one user with an API key per role, through the app's own code (as
 * `npm run api-key` does), plus one key that is revoked at once. Prints one JSON object:
 * `{ users: { <role>: { id, email, apiKey } }, revokedApiKey }`. One process for all of them,
 * because each tsx start costs about a second.
 */
import { createApiKey, revokeApiKey } from "../../src/server/auth/api-keys";
import { db, disconnect } from "../../src/server/db";

async function main() {
  const roles = process.argv.slice(2);
  const users: Record<string, { id: string; email: string; apiKey: string }> = {};
  for (const role of roles) {
    const user = await db().user.create({ data: { email: `chaos-${role}@example.test`, name: `Chaos ${role}` } });
    users[role] = { id: user.id, email: user.email, apiKey: (await createApiKey(user.id, "chaos")).secret };
  }
  const owner = Object.values(users)[0];
  if (!owner) throw new Error("no roles given");
  const revoked = await createApiKey(owner.id, "revoked");
  await revokeApiKey(owner.id, revoked.apiKey.id);
  process.stdout.write(`${JSON.stringify({ users, revokedApiKey: revoked.secret })}\n`);
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`create-chaos-users: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => disconnect());
