import pg from "pg";
import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "./database-unavailable";

// The outage as the driver reports it, directly and through Prisma's adapter layers. The real
// thing is in the chaos suite: PostgreSQL restarted behind PgBouncer answers 503, not 500.

function databaseError(code: string, message: string): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, "error");
  error.code = code;
  return error;
}

/** How Prisma's driver adapter hands a node-postgres error on (meta.driverAdapterError.cause). */
const throughPrisma = (cause: unknown) => ({ name: "DriverAdapterError", meta: { driverAdapterError: { cause } } });

describe("isDatabaseUnavailable", () => {
  it.each([
    ["08P01", "server login has been failing, try again later (server_login_retry)"], // PgBouncer, PostgreSQL down
    ["08P01", "query_wait_timeout"], // PgBouncer, no server connection in time
    ["08P01", "no more connections allowed (max_client_conn)"],
    ["08006", "connection failure"],
    ["08007", "transaction resolution unknown"],
    ["57P01", "terminating connection due to administrator command"],
    ["53300", "sorry, too many clients already"],
  ])("is true for %s (%s), directly and through Prisma", (code, message) => {
    expect(isDatabaseUnavailable(databaseError(code, message))).toBe(true);
    expect(isDatabaseUnavailable(throughPrisma(databaseError(code, message)))).toBe(true);
  });

  it.each([
    ["23505", "duplicate key value violates unique constraint"],
    ["23514", "new row violates check constraint"],
    ["22P05", "unsupported Unicode escape sequence"],
    ["42P10", "there is no unique or exclusion constraint matching the ON CONFLICT specification"],
  ])("is false for a refusal no retry fixes: %s (%s)", (code, message) => {
    expect(isDatabaseUnavailable(databaseError(code, message))).toBe(false);
    expect(isDatabaseUnavailable(throughPrisma(databaseError(code, message)))).toBe(false);
  });
});
