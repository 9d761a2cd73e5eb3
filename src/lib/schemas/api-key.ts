import { z } from "zod";
import { userText } from "./user-text";

export const apiKeyNameSchema = userText({
  label: "name",
  min: 1,
  max: 100,
  messages: {
    type: "Name the key",
    tooShort: "Name the key, e.g. after the script that will use it",
    tooLong: "Use at most 100 characters",
  },
});

/** Body of POST /api/api-keys. */
export const createApiKeySchema = z.object({ name: apiKeyNameSchema });

export type CreateApiKeyInput = z.infer<typeof createApiKeySchema>;
