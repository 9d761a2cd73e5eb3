import { z } from "zod";
import { emailSchema } from "./email";
import { PASSWORD_MAX_LENGTH } from "./sign-up";

/**
 * Credentials as the sign-in form sends them. No minimum length here: the rules for new
 * passwords may tighten without locking out older accounts. The maximum bounds the work an
 * attacker can make the server do per attempt.
 */
export const signInSchema = z.object({
  email: emailSchema,
  password: z.string({ error: "Enter your password" }).min(1, "Enter your password").max(PASSWORD_MAX_LENGTH),
});

export type SignInInput = z.infer<typeof signInSchema>;
