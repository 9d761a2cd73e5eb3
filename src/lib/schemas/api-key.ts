import { z } from "zod";

export const apiKeyNameSchema = z
  .string({ error: "Name the key" })
  .trim()
  .min(1, "Name the key, e.g. after the script that will use it")
  .max(100, "Use at most 100 characters");

/** Body of POST /api/api-keys. */
export const createApiKeySchema = z.object({ name: apiKeyNameSchema });

export type CreateApiKeyInput = z.infer<typeof createApiKeySchema>;
