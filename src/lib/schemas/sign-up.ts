import { z } from "zod";
import { emailSchema } from "./email";

export const PASSWORD_MIN_LENGTH = 12;
/** Long enough for any passphrase, short enough that hashing one stays cheap. */
export const PASSWORD_MAX_LENGTH = 128;

export const newPasswordSchema = z
  .string({ error: "Choose a password" })
  .min(PASSWORD_MIN_LENGTH, `Use at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `Use at most ${PASSWORD_MAX_LENGTH} characters`);

/** Body of POST /api/auth/sign-up, also checked by the sign-up page before it sends. */
export const signUpSchema = z.object({
  email: emailSchema,
  password: newPasswordSchema,
  name: z
    .string()
    .trim()
    .max(100, "Use at most 100 characters")
    .optional()
    .transform((name) => name || undefined),
});

export type SignUpInput = z.infer<typeof signUpSchema>;
