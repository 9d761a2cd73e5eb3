import type pg from "pg";
import { queryOnce } from "../../scripts/lib/pg-once";
import { chaosContext } from "./chaos-context";

/**
 * One query on the run's database, on a connection of its own: the suites look at rows
 * directly (not through the app) and must keep working after PostgreSQL was restarted.
 */
export function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  return queryOnce<T>(chaosContext().databaseUrl, text, values);
}
