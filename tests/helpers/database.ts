import { randomUUID } from "node:crypto";
import { hashPassword } from "@/server/auth/password";
import { db } from "@/server/db";

export const TEST_PASSWORD = "correct horse battery staple";

/** A fresh user in this file's database; every test makes its own. */
export async function createUser(overrides: { email?: string; password?: string; name?: string } = {}) {
  const email = overrides.email ?? `user-${randomUUID()}@example.test`;
  const passwordHash = await hashPassword(overrides.password ?? TEST_PASSWORD);
  return db().user.create({ data: { email, name: overrides.name ?? "Test User", passwordHash } });
}
