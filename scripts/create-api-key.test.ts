import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { authenticateApiKey } from "@/server/auth/api-keys";
import { db } from "@/server/db";
import { createApiKeyViaCli } from "./lib/create-api-key-via-cli";

const run = promisify(execFile);

/** The CLI as `npm run api-key` runs it, with DATABASE_URL and nothing else of the app's env. */
function apiKeyCli(...args: string[]) {
  return run(path.resolve("node_modules/.bin/tsx"), ["--conditions=react-server", "scripts/create-api-key.ts", ...args], {
    // NODE_ENV only because Next's typings require it; nothing in the CLI reads it.
    env: { PATH: process.env.PATH, DATABASE_URL: process.env.DATABASE_URL, NODE_ENV: "test" },
  });
}

describe("npm run api-key", () => {
  it("creates the user if missing and prints a working key alone on the last line", async () => {
    const email = `Script-${crypto.randomUUID()}@Example.test`;
    const { stdout } = await apiKeyCli("--email", email, "--name", "ci");
    const lines = stdout.trimEnd().split("\n");
    const secret = lines.at(-1)!;
    expect(secret).toMatch(/^ipk_[A-Za-z0-9_-]{43}$/);
    expect(lines.slice(0, -1).join("\n")).not.toContain(secret);

    const user = await db().user.findUniqueOrThrow({ where: { email: email.toLowerCase() }, include: { apiKeys: true } });
    expect(user.passwordHash).toBeNull();
    expect(user.apiKeys.map((k) => k.name)).toEqual(["ci"]);
    expect(await authenticateApiKey(secret)).toEqual({ id: user.id, email: user.email });
  });

  it("adds keys to an existing user; createApiKeyViaCli rotates the previous dev key", async () => {
    const email = `dev-${crypto.randomUUID()}@example.test`;
    const first = await createApiKeyViaCli(email, { DATABASE_URL: process.env.DATABASE_URL });
    const second = await createApiKeyViaCli(email, { DATABASE_URL: process.env.DATABASE_URL });
    expect(await authenticateApiKey(first)).toBeNull();
    expect(await authenticateApiKey(second)).toMatchObject({ email });
    expect(await db().apiKey.count({ where: { user: { email } } })).toBe(2);
  });

  it("explains its usage, and refuses a bad email with exit code 2", async () => {
    const help = await apiKeyCli("--help");
    expect(help.stdout).toContain("Usage: npm run api-key -- --email <email>");
    const failure = await apiKeyCli("--email", "not-an-email").catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2, stderr: expect.stringContaining("--email: Enter a valid email address") });
  });
});
