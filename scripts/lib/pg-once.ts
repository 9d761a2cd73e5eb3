import pg from "pg";

/**
 * One connection of its own for one piece of work, always closed afterwards: for setup code
 * and tests that look at PostgreSQL directly (not through the app's pool), and must keep
 * working after the server restarted.
 */
export async function withPgClient<T>(connectionString: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** One query on a connection of its own; its rows. */
export async function queryOnce<T extends pg.QueryResultRow>(connectionString: string, text: string, values: unknown[] = []): Promise<T[]> {
  return withPgClient(connectionString, async (client) => (await client.query<T>(text, values)).rows);
}
