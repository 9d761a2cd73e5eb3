import { z } from "zod";
import { emailSchema } from "./email";
import { userText } from "./user-text";

export const PASSWORD_MIN_LENGTH = 12;
/** Long enough for any passphrase, short enough that hashing one stays cheap. */
export const PASSWORD_MAX_LENGTH = 128;

/**
 * Not trimmed: a password is what was typed. Control characters and lone surrogates are
 * refused like in any text: hashing encodes the password as UTF-8, where every lone surrogate
 * becomes the same U+FFFD, so "\ud800" and "\udfff" would be one password.
 */
export const newPasswordSchema = userText({
  label: "password",
  min: PASSWORD_MIN_LENGTH,
  max: PASSWORD_MAX_LENGTH,
  trim: false,
  messages: {
    type: "Choose a password",
    tooShort: `Use at least ${PASSWORD_MIN_LENGTH} characters`,
    tooLong: `Use at most ${PASSWORD_MAX_LENGTH} characters`,
  },
});

/** Body of POST /api/auth/sign-up, also checked by the sign-up page before it sends. */
export const signUpSchema = z.object({
  email: emailSchema,
  password: newPasswordSchema,
  name: userText({ label: "name", max: 100, messages: { tooLong: "Use at most 100 characters" } })
    .optional()
    .transform((name) => name || undefined),
});

export type SignUpInput = z.infer<typeof signUpSchema>;
