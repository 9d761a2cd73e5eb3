import { z } from "zod";

/** One API key as its owner sees it: never its hash, and its secret only once (createdApiKeyResponseSchema). */
export const apiKeyResponseSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The secret's first characters, to recognise the key by (`ipk_AbCdEfGh`). */
  prefix: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
});

export type ApiKeyResponse = z.infer<typeof apiKeyResponseSchema>;

/** GET /api/api-keys: the caller's keys, newest first. */
export const apiKeyListResponseSchema = z.object({ data: z.array(apiKeyResponseSchema) });

/** POST /api/api-keys: the new key with its secret, shown this once. */
export const createdApiKeyResponseSchema = apiKeyResponseSchema.extend({
  /** `Authorization: Bearer <secret>`. Stored only as a hash: it cannot be shown again. */
  secret: z.string(),
});

export type CreatedApiKeyResponse = z.infer<typeof createdApiKeyResponseSchema>;
