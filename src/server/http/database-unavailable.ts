import "server-only";
/** Error codes meaning "PostgreSQL cannot be reached right now", as opposed to a bug. */
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  // Class 08, connection exception: the connection failed, was refused or was lost.
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
  "08007", // transaction_resolution_unknown: the engine's writes are fenced, a re-drive settles it
  // protocol_violation, and how PgBouncer refuses a query it cannot serve: PostgreSQL's login
  // failing ("server login has been failing"), query_wait_timeout, its own limits
  // (docs/decisions/010-pgbouncer-transaction-mode.md).
  "08P01",
  "P1001", // Prisma: can't reach database server
  "P1002",
  "P1017", // Prisma: server closed the connection
  "P2024", // Prisma: timed out fetching a connection from the pool
]);

const UNAVAILABLE_MESSAGES = [
  "timeout exceeded when trying to connect",
  "Connection terminated",
  "Client has encountered a connection error",
  "connect ECONNREFUSED",
];

const UNAVAILABLE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);

/**
 * True when `error` says the database is unreachable. Prisma wraps node-postgres errors in
 * a few layers (`cause`, `meta.driverAdapterError`), so this looks through all of them.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const queue: unknown[] = [error];
  for (let seen = 0; queue.length > 0 && seen < 16; seen++) {
    const current = queue.shift();
    if (!current || typeof current !== "object") continue;
    const { code, kind, message, cause, meta, driverAdapterError } = current as Record<string, unknown>;
    if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof kind === "string" && UNAVAILABLE_KINDS.has(kind)) return true;
    if (typeof message === "string" && UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return true;
    queue.push(cause, meta, driverAdapterError);
  }
  return false;
}
