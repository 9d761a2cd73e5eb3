import "server-only";
import { Prisma } from "@prisma/client";
import { env } from "@/env";
import { type SignUpInput } from "@/lib/schemas/sign-up";
import { db } from "@/server/db";
import { ApiError } from "@/server/http/api-error";
import { hashPassword } from "./password";
import { countInWindow, throttleBuckets } from "./throttle-windows";

/**
 * Deliberately vague: it neither confirms that an account exists nor offers to sign in to
 * it. Sign-up cannot hide that an email is taken (the insert fails), but the message gives
 * nothing more than that, and an existing account, even one without a password (made by
 * GitHub sign-in or the CLI), is never given a password here: that would let anyone who
 * knows the email take the account over.
 */
export const EMAIL_UNAVAILABLE = "Could not create an account with this email.";

/**
 * Creates a user who signs in with a password. Throws a 400 ApiError when the email is taken,
 * and a 429 once `clientAddress` has asked SIGN_UPS_PER_ADDRESS times in the window.
 */
export async function createAccount(
  input: SignUpInput,
  clientAddress: string,
): Promise<{ id: string; email: string; name: string | null }> {
  await countSignUp(clientAddress);
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

/**
 * Counts every well-formed sign-up an address sends, whether or not it creates an account (a
 * taken email included), before the password is hashed: a refusal costs one statement.
 */
async function countSignUp(clientAddress: string): Promise<void> {
  const { SIGN_UPS_PER_ADDRESS, AUTH_THROTTLE_WINDOW_SECONDS } = env();
  const { counts, retryAfter } = await countInWindow([throttleBuckets.signUpAddress(clientAddress)], AUTH_THROTTLE_WINDOW_SECONDS);
  if (counts[0]! > SIGN_UPS_PER_ADDRESS) {
    throw new ApiError("rate_limited", "Too many sign-ups from this address; retry after the time in Retry-After.", { retryAfter });
  }
}
