import "server-only";
import { Prisma } from "@prisma/client";
import { type SignUpInput } from "@/lib/schemas/sign-up";
import { db } from "@/server/db";
import { ApiError } from "@/server/http/api-error";
import { hashPassword } from "./password";

/**
 * Deliberately vague: it neither confirms that an account exists nor offers to sign in to
 * it. Sign-up cannot hide that an email is taken (the insert fails), but the message gives
 * nothing more than that, and an existing account, even one without a password (made by
 * GitHub sign-in or the CLI), is never given a password here: that would let anyone who
 * knows the email take the account over.
 */
export const EMAIL_UNAVAILABLE = "Could not create an account with this email.";

/** Creates a user who signs in with a password. Throws a 400 ApiError when the email is taken. */
export async function createAccount(input: SignUpInput): Promise<{ id: string; email: string; name: string | null }> {
  // Hashed before the insert, so a taken email costs as much time as a new one.
  const passwordHash = await hashPassword(input.password);
  try {
    return await db().user.create({
      data: { email: input.email, name: input.name ?? null, passwordHash },
      select: { id: true, email: true, name: true },
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new ApiError("invalid_request", EMAIL_UNAVAILABLE, {
        extensions: { errors: [{ path: "email", message: EMAIL_UNAVAILABLE }] },
      });
    }
    throw error;
  }
}
