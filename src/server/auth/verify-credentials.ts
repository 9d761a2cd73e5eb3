import "server-only";
import { randomBytes } from "node:crypto";
import { db } from "@/server/db";
import { hashPassword, verifyPassword } from "./password";

export type VerifiedUser = { id: string; email: string; name: string | null };

let dummyHash: Promise<string> | undefined;

/**
 * The user whose email and password these are, or null. Takes as long for an unknown email
 * (or an account without a password) as for a wrong password: the password is checked
 * against a throw-away hash with the same scrypt cost, so the response time does not tell
 * an attacker which emails have accounts.
 */
export async function verifyCredentials(email: string, password: string): Promise<VerifiedUser | null> {
  const user = await db().user.findUnique({
    where: { email },
    select: { id: true, email: true, name: true, passwordHash: true },
  });
  // Made once per process, with the current parameters, so it costs what a real check costs.
  dummyHash ??= hashPassword(randomBytes(32).toString("base64url"));
  const hash = user?.passwordHash ?? (await dummyHash);
  const valid = await verifyPassword(password, hash);
  if (!user?.passwordHash || !valid) return null;
  return { id: user.id, email: user.email, name: user.name };
}
