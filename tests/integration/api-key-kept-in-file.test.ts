import { statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticateApiKey } from "@/server/auth/api-keys";
import { db } from "@/server/db";
import { createApiKeyViaCli } from "../../scripts/lib/create-api-key-via-cli";

/** `npm run dev`'s demo key: `npm run api-key -- … --keep-in <file>`, once per start. */
describe("an API key kept in a file", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "api-key-kept-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const keep = (email: string, file: string) => createApiKeyViaCli(email, { DATABASE_URL: process.env.DATABASE_URL }, "dev", { keepIn: file });

  it("is created once, readable by its owner only, and the same at every later start", async () => {
    const email = `kept-${crypto.randomUUID()}@example.test`;
    const file = path.join(dir, "nested", "demo-api-key");
    const first = await keep(email, file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await keep(email, file)).toBe(first);
    expect(await authenticateApiKey(first)).toMatchObject({ email });
    expect(await db().apiKey.count({ where: { user: { email } } })).toBe(1);
  });

  it("is made anew, revoking the user's other keys of its name, once it no longer works", async () => {
    const email = `kept-${crypto.randomUUID()}@example.test`;
    const file = path.join(dir, `${email}.key`);
    const first = await keep(email, file);
    await db().apiKey.updateMany({ where: { user: { email } }, data: { revokedAt: new Date() } });

    const second = await keep(email, file);
    expect(second).not.toBe(first);
    expect(await authenticateApiKey(second)).toMatchObject({ email });
    expect(await keep(email, file)).toBe(second);
    expect(await db().apiKey.count({ where: { user: { email }, revokedAt: null } })).toBe(1);
  });
});
