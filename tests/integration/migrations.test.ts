import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { queryOnce, withPgClient } from "../../scripts/lib/pg-once";
import { migrate } from "../global-setup";

describe("prisma migrations", () => {
  it("apply on an empty database and create every table of the data model", async () => {
    const adminUrl = new URL(process.env.DATABASE_URL!);
    const name = `empty_${Date.now()}`;
    const admin = adminUrl.toString();
    await queryOnce(admin, `CREATE DATABASE ${name}`);
    try {
      adminUrl.pathname = `/${name}`;
      await migrate(adminUrl.toString());

      await withPgClient(adminUrl.toString(), async (client) => {
        const tables = await client.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
        );
        expect(tables.rows.map((r) => r.table_name)).toEqual([
          "_prisma_migrations",
          "accounts",
          "api_keys",
          "auth_throttle_windows",
          "idempotency_keys",
          "payments",
          "rate_limit_windows",
          "refunds",
          "sessions",
          "users",
          "verification_tokens",
          "webhook_events",
        ]);
        const folders = (await readdir("prisma/migrations", { withFileTypes: true })).filter((d) => d.isDirectory());
        const applied = await client.query("SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL");
        expect(applied.rowCount).toBe(folders.length);

        const unique = await client.query(
          "SELECT indexdef FROM pg_indexes WHERE tablename = 'idempotency_keys' AND indexdef LIKE '%UNIQUE%'",
        );
        expect(unique.rows.map((r) => r.indexdef).join()).toContain("(user_id, key)");
      });
    } finally {
      await queryOnce(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });
});
