import "server-only";
import { db } from "@/server/db";

/** One round trip to PostgreSQL: resolves when it answers, throws when it cannot be reached. */
export async function checkDatabase(): Promise<void> {
  await db().$queryRaw`SELECT 1`;
}
