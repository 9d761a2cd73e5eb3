import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { db } from "@/server/db";
import { createUser } from "../../../tests/helpers/database";
import { authenticateApiKey, createApiKey, listApiKeys, revokeApiKey } from "./api-keys";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("createApiKey", () => {
  it("returns an ipk_ secret once and stores only its SHA-256 and its first 12 characters", async () => {
    const user = await createUser();
    const { apiKey, secret } = await createApiKey(user.id, "deploy script");
    expect(secret).toMatch(/^ipk_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toEqual({
      id: expect.any(String),
      name: "deploy script",
      prefix: secret.slice(0, 12),
      createdAt: expect.any(Date),
      lastUsedAt: null,
      revokedAt: null,
    });

    const rows = await db().$queryRaw<Array<Record<string, unknown>>>`SELECT * FROM api_keys WHERE id = ${apiKey.id}::uuid`;
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.hash).toBe(sha256(secret));
    const secretPart = secret.slice(12); // everything the prefix does not show
    for (const [column, value] of Object.entries(row)) {
      expect(String(value), column).not.toContain(secretPart);
    }
  });

  it("makes a different secret every time", async () => {
    const user = await createUser();
    const secrets = await Promise.all([1, 2, 3].map(() => createApiKey(user.id, "k").then((k) => k.secret)));
    expect(new Set(secrets).size).toBe(3);
  });

  it("with replaceSameName revokes the user's active keys of that name, and only those", async () => {
    const user = await createUser();
    const other = await createUser();
    const oldDev = await createApiKey(user.id, "dev");
    const ci = await createApiKey(user.id, "ci");
    const othersDev = await createApiKey(other.id, "dev");
    const newDev = await createApiKey(user.id, "dev", { replaceSameName: true });

    expect(await authenticateApiKey(oldDev.secret)).toBeNull();
    for (const live of [newDev, ci]) expect(await authenticateApiKey(live.secret)).toMatchObject({ id: user.id });
    expect(await authenticateApiKey(othersDev.secret)).toMatchObject({ id: other.id });
  });
});

describe("authenticateApiKey", () => {
  it("returns the owner of an active key, and null for unknown, malformed or revoked keys", async () => {
    const user = await createUser();
    const { apiKey, secret } = await createApiKey(user.id, "script");
    expect(await authenticateApiKey(secret)).toEqual({ id: user.id, email: user.email });

    const unknown = `ipk_${"A".repeat(43)}`;
    for (const wrong of [unknown, "", "ipk_short", secret.slice(0, -1), `${secret}x`, secret.toUpperCase()]) {
      expect(await authenticateApiKey(wrong)).toBeNull();
    }

    await revokeApiKey(user.id, apiKey.id);
    expect(await authenticateApiKey(secret)).toBeNull();
  });

  it("authenticates no one when a hash is held by two users' keys (unique per user only; only by tampering)", async () => {
    const [alice, mallory] = [await createUser(), await createUser()];
    const { secret } = await createApiKey(alice.id, "script");
    await db().$executeRaw`INSERT INTO api_keys (id, user_id, name, prefix, hash)
      VALUES (gen_random_uuid(), ${mallory.id}::uuid, 'copied', ${secret.slice(0, 12)}, ${sha256(secret)})`;
    expect(await authenticateApiKey(secret)).toBeNull();
    expect(await db().apiKey.findMany({ where: { hash: sha256(secret) }, select: { lastUsedAt: true } })).toEqual([
      { lastUsedAt: null },
      { lastUsedAt: null },
    ]);
    await db().apiKey.updateMany({ where: { userId: mallory.id }, data: { revokedAt: new Date() } });
    expect(await authenticateApiKey(secret)).toEqual({ id: alice.id, email: alice.email });
  });

  describe("lastUsedAt", () => {
    // Counts real writes to api_keys.last_used_at in this file's own database.
    beforeAll(async () => {
      await db().$executeRawUnsafe(`CREATE TABLE api_key_touches (api_key_id uuid NOT NULL)`);
      await db().$executeRawUnsafe(`
        CREATE FUNCTION record_api_key_touch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO api_key_touches VALUES (NEW.id); RETURN NEW; END $$`);
      await db().$executeRawUnsafe(`
        CREATE TRIGGER api_key_touch AFTER UPDATE OF last_used_at ON api_keys
        FOR EACH ROW EXECUTE FUNCTION record_api_key_touch()`);
    });
    const writes = async (id: string) =>
      Number(
        (await db().$queryRaw<[{ n: bigint }]>`SELECT count(*) AS n FROM api_key_touches WHERE api_key_id = ${id}::uuid`)[0].n,
      );
    const lastUsedAt = async (id: string) => (await db().apiKey.findFirstOrThrow({ where: { id } })).lastUsedAt;

    it("is written once for many uses within a minute, even concurrent ones", async () => {
      const user = await createUser();
      const { apiKey, secret } = await createApiKey(user.id, "busy");

      // Five concurrent first uses all see lastUsedAt = null; the conditional UPDATE lets one write.
      await Promise.all([1, 2, 3, 4, 5].map(() => authenticateApiKey(secret)));
      await vi.waitFor(async () => expect(await lastUsedAt(apiKey.id)).not.toBeNull());
      const first = await lastUsedAt(apiKey.id);

      // Later uses within the minute read a fresh lastUsedAt and send no UPDATE at all.
      for (let i = 0; i < 5; i++) expect(await authenticateApiKey(secret)).not.toBeNull();
      await sleep(300); // let any (wrongly) fired write land before counting
      expect(await writes(apiKey.id)).toBe(1);
      expect(await lastUsedAt(apiKey.id)).toEqual(first);
    });

    it("is written again once the last write is a minute old", async () => {
      const user = await createUser();
      const { apiKey, secret } = await createApiKey(user.id, "hourly");
      await db().$executeRaw`UPDATE api_keys SET last_used_at = now() - interval '61 seconds' WHERE id = ${apiKey.id}::uuid`;
      await db().$executeRaw`DELETE FROM api_key_touches WHERE api_key_id = ${apiKey.id}::uuid`;
      const stale = await lastUsedAt(apiKey.id);

      await authenticateApiKey(secret);
      await vi.waitFor(async () => expect(await writes(apiKey.id)).toBe(1));
      expect((await lastUsedAt(apiKey.id))!.getTime()).toBeGreaterThan(stale!.getTime() + 60_000);
    });
  });
});

describe("listApiKeys and revokeApiKey", () => {
  it("lists only the user's own keys, newest first, without hashes", async () => {
    const alice = await createUser();
    const bob = await createUser();
    const first = await createApiKey(alice.id, "first");
    const second = await createApiKey(alice.id, "second");
    await createApiKey(bob.id, "bob's");

    const keys = await listApiKeys(alice.id);
    expect(keys.map((k) => k.id)).toEqual([second.apiKey.id, first.apiKey.id]);
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(["createdAt", "id", "lastUsedAt", "name", "prefix", "revokedAt"]);
    }
  });

  it("revokes only the owner's key; revoking twice keeps the first revocation time", async () => {
    const alice = await createUser();
    const bob = await createUser();
    const { apiKey, secret } = await createApiKey(alice.id, "alice's");

    expect(await revokeApiKey(bob.id, apiKey.id)).toBeNull();
    expect(await authenticateApiKey(secret)).not.toBeNull();

    const revoked = await revokeApiKey(alice.id, apiKey.id);
    expect(revoked?.revokedAt).toBeInstanceOf(Date);
    expect((await revokeApiKey(alice.id, apiKey.id))?.revokedAt).toEqual(revoked?.revokedAt);
    expect(await authenticateApiKey(secret)).toBeNull();
  });
});
