import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { Prisma } from "@prisma/client";
import { db, sqlRows } from "@/server/db";

/** What may be shown about a key: never its hash, and the secret only once, at creation. */
export type ApiKeySummary = {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
};

const SUMMARY = {
  id: true,
  name: true,
  prefix: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
} as const satisfies Prisma.ApiKeySelect;

// `ipk_` + 32 random bytes in base64url. The marker makes a leaked key recognisable to
// secret scanners and lets authenticate() reject garbage without a database round trip.
const SECRET_MARKER = "ipk_";
const SECRET_FORMAT = /^ipk_[A-Za-z0-9_-]{43}$/;
const PREFIX_LENGTH = 12;

/**
 * SHA-256 and not a slow KDF: the secret has 256 bits of entropy, so it cannot be guessed
 * from its hash, and a fast hash keeps every API request to one indexed lookup.
 */
function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/**
 * Creates a key for `userId`. The secret is returned here and nowhere else: only its hash
 * and its first characters are stored. With `replaceSameName`, the user's active keys of
 * that name are revoked in the same transaction (the dev script's key, rotated each start).
 */
export async function createApiKey(
  userId: string,
  name: string,
  options: { replaceSameName?: boolean } = {},
): Promise<{ apiKey: ApiKeySummary; secret: string }> {
  const secret = SECRET_MARKER + randomBytes(32).toString("base64url");
  const data = { userId, name, prefix: secret.slice(0, PREFIX_LENGTH), hash: hashSecret(secret) };
  const apiKey = options.replaceSameName
    ? await db().$transaction(async (tx) => {
        await tx.apiKey.updateMany({ where: { userId, name, revokedAt: null }, data: { revokedAt: new Date() } });
        return tx.apiKey.create({ data, select: SUMMARY });
      })
    : await db().apiKey.create({ data, select: SUMMARY });
  return { apiKey, secret };
}

/** The user's keys, newest first, revoked ones included (they explain a 401 in a log). */
export async function listApiKeys(userId: string): Promise<ApiKeySummary[]> {
  return db().apiKey.findMany({ where: { userId }, select: SUMMARY, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
}

/**
 * Revokes one of the user's keys; revoking it again changes nothing. Null when the user has
 * no key with this id: another user's key looks exactly like a missing one.
 */
export async function revokeApiKey(userId: string, id: string): Promise<ApiKeySummary | null> {
  // The owner is part of the condition, so no one can revoke a key that is not theirs.
  await db().apiKey.updateMany({ where: { id, userId, revokedAt: null }, data: { revokedAt: new Date() } });
  return db().apiKey.findFirst({ where: { id, userId }, select: SUMMARY });
}

/**
 * The owner of an active key with this secret, or null for an unknown or revoked one: one
 * statement, one round trip, for the key, its user, and the record that it was used (at most
 * once a minute: most requests find a recent `last_used_at` and write nothing; the condition
 * keeps concurrent requests and other instances to a single write).
 *
 * The lookup by hash alone is the one read of a request that is not confined to one user
 * (the secret is all a caller presents; docs/decisions/011-shard-ready-by-user.md). A hash is
 * unique per user only, so a hash held by two keys (256 random bits each: only by tampering)
 * authenticates no one rather than an arbitrary one of them.
 */
export async function authenticateApiKey(secret: string): Promise<{ id: string; email: string } | null> {
  if (!SECRET_FORMAT.test(secret)) return null;
  const [owner] = await sqlRows<{ id: string; email: string }[]>(Prisma.sql`
    WITH active AS (
      SELECT user_id, id FROM api_keys WHERE hash = ${hashSecret(secret)} AND revoked_at IS NULL LIMIT 2
    ), sole AS (
      SELECT user_id, id FROM active WHERE (SELECT count(*) FROM active) = 1
    ), touched AS (
      UPDATE api_keys k SET last_used_at = now() FROM sole
      WHERE k.user_id = sole.user_id AND k.id = sole.id
        AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute')
    )
    SELECT u.id::text AS id, u.email FROM sole JOIN users u ON u.id = sole.user_id`);
  return owner ?? null;
}
