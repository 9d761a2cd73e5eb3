import type { KeyLock } from "@/server/idempotency/key-store";

/** The lock on a key row as the key store's fenced statements take it: user, id and token. */
export function lockOf(row: { id: string; userId: string }, lockToken: string): KeyLock {
  return { userId: row.userId, keyId: row.id, lockToken };
}
