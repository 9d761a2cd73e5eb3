import pg from "pg";
import { chaosContext } from "./chaos-context";

/**
 * One query on the run's database, on a connection of its own: the suites look at rows
 * directly (not through the app) and must keep working after PostgreSQL was restarted.
 */
export async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: chaosContext().databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}
