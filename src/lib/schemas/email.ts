import { z } from "zod";

/**
 * An email address as this app stores it: trimmed and lower-cased, so that one person
 * cannot hold two accounts that differ only in case, and sign-in finds them either way.
 */
export const emailSchema = z
  .string({ error: "Enter your email address" })
  .trim()
  .toLowerCase()
  .pipe(z.email("Enter a valid email address").max(254, "Email addresses are at most 254 characters"));
