import { beforeAll, describe, expect, it } from "vitest";
import { applyAllowList, type CrossUserAllowance, judgeStatement, loadSqlParser } from "../helpers/shard-rules";

// Unit tests of the shard rule (tests/helpers/shard-rules.ts): pure, no database, no app. They
// live here because tests/integration is where `npm test` collects the tests of tests/.

beforeAll(loadSqlParser);

/** Findings as "table role", in order. */
const findings = (sql: string, values?: unknown[]) => judgeStatement(sql, { values }).findings.map((f) => `${f.table} ${f.role}`);
const reasons = (sql: string) => judgeStatement(sql).findings.map((f) => f.reason);
const session = (sql: string, name: string | null = null) => judgeStatement(sql, { name }).sessionFindings;

describe("statements restricted to one user pass", () => {
  it.each([
    ["a filter on user_id and the key", "SELECT id FROM payments WHERE user_id = $1 AND id = $2"],
    ["a constant, a cast, parentheses", "SELECT id FROM payments WHERE (user_id = '7b1f0c3e-0000-4000-8000-000000000001'::uuid AND id = $1::uuid)"],
    ["Prisma's quoting", 'SELECT "public"."payments"."id" FROM "public"."payments" WHERE ("public"."payments"."id" = $1 AND "public"."payments"."user_id" = $2) LIMIT $3 OFFSET $4'],
    ["IN with one value", 'SELECT * FROM "public"."refunds" WHERE ("public"."refunds"."payment_id" IN ($1) AND "public"."refunds"."user_id" IN ($2))'],
    ["a row comparison", "SELECT * FROM payments WHERE (user_id, id) = ($1, $2)"],
    ["a co-located join", "SELECT r.id FROM payments p JOIN refunds r ON r.user_id = p.user_id AND r.payment_id = p.id WHERE p.user_id = $1"],
    ["a co-located join stated in WHERE", "SELECT r.id FROM payments p, refunds r WHERE r.user_id = p.user_id AND p.user_id = $1"],
    ["JOIN … USING (user_id)", "SELECT * FROM payments p JOIN refunds r USING (user_id) WHERE p.user_id = $1"],
    ["the nullable side of a LEFT JOIN restricted by its ON", "SELECT * FROM idempotency_keys k LEFT JOIN payments p ON p.user_id = k.user_id AND p.idempotency_key_id = k.id WHERE k.user_id = $1 AND k.key = $2"],
    ["a correlated subquery", "SELECT * FROM payments p WHERE p.user_id = $1 AND EXISTS (SELECT 1 FROM refunds r WHERE r.user_id = p.user_id AND r.payment_id = p.id)"],
    ["a LATERAL subquery", "SELECT * FROM payments p LEFT JOIN LATERAL (SELECT k.id FROM idempotency_keys k WHERE k.user_id = p.user_id AND k.id = p.idempotency_key_id) x ON true WHERE p.user_id = $1"],
    ["a subquery in FROM", "SELECT * FROM (SELECT id, user_id FROM payments WHERE user_id = $1) mine JOIN refunds r ON r.user_id = mine.user_id"],
    ["a CTE and a co-located join on it", "WITH mine AS (SELECT id, user_id FROM payments WHERE user_id = $1 AND id = $2) SELECT r.id FROM refunds r JOIN mine ON r.user_id = mine.user_id AND r.payment_id = mine.id"],
    ["a scalar subquery of a restricted table", "UPDATE api_keys SET last_used_at = now() WHERE user_id = (SELECT user_id FROM api_keys WHERE user_id = $1 AND hash = $2) AND id = $3"],
    ["INSERT … VALUES", 'INSERT INTO "public"."api_keys" ("id","user_id","name") VALUES ($1,$2,$3) RETURNING "public"."api_keys"."id"'],
    ["INSERT … VALUES, rows of one user", "INSERT INTO rate_limit_windows (user_id, action, window_start, count) VALUES ($1, 'a', now(), 1), ($1, 'b', now(), 1)"],
    ["INSERT … SELECT of a parameter", "INSERT INTO payments (id, user_id, amount) SELECT $1::uuid, $2::uuid, $3 FROM webhook_events WHERE id = $4"],
    ["INSERT … SELECT from a restricted DELETE … RETURNING", "WITH gone AS (DELETE FROM idempotency_keys WHERE user_id = $1 AND id = $2 RETURNING user_id, key) INSERT INTO idempotency_keys (id, user_id, key) SELECT $3, user_id, key FROM gone"],
    ["ON CONFLICT DO UPDATE: the inserted row's user", "INSERT INTO rate_limit_windows (user_id, action, window_start, count) VALUES ($1, $2, now(), 1) ON CONFLICT (user_id, action, window_start) DO UPDATE SET count = rate_limit_windows.count + 1 WHERE rate_limit_windows.count < EXCLUDED.count + 100"],
    ["UPDATE … FROM a restricted CTE", "WITH mine AS (SELECT id, user_id FROM payments WHERE user_id = $1) UPDATE refunds SET status = 'failed' FROM mine WHERE refunds.user_id = mine.user_id AND refunds.payment_id = mine.id"],
    ["DELETE … USING", "DELETE FROM refunds r USING payments p WHERE p.user_id = $1 AND r.user_id = p.user_id AND r.payment_id = p.id"],
    ["a CTE whose name shadows a per-user table", "WITH payments AS (SELECT 1 AS id) SELECT id FROM payments"],
    ["no per-user table at all", "SELECT u.id FROM users u WHERE u.email = $1"],
  ])("%s", (_label, sql) => {
    expect(findings(sql)).toEqual([]);
  });

  it("the key store's claim: CTEs, INSERT … RETURNING *, UNION ALL, the rate-limit upsert, one user's values", () => {
    const claim = `
      WITH existing AS (SELECT * FROM idempotency_keys WHERE user_id = $1::uuid AND key = $2),
      inserted AS (
        INSERT INTO idempotency_keys (id, user_id, key) SELECT $3::uuid, $4::uuid, $2
        WHERE NOT EXISTS (SELECT 1 FROM existing) ON CONFLICT (user_id, key) DO NOTHING RETURNING *),
      candidate AS (SELECT *, true AS inserted FROM inserted UNION ALL SELECT *, false AS inserted FROM existing),
      counted AS (
        INSERT INTO rate_limit_windows (user_id, action, window_start, count) SELECT $5::uuid, 'p', now(), 1 FROM inserted LIMIT 1
        ON CONFLICT (user_id, action, window_start) DO UPDATE SET count = rate_limit_windows.count + 1 RETURNING count),
      pruned AS (DELETE FROM rate_limit_windows WHERE user_id = $6::uuid AND window_start < now() AND EXISTS (SELECT 1 FROM counted))
      SELECT c.id, (SELECT count FROM counted) FROM candidate c`;
    const user = "0b0e9d34-3c55-4a36-9a5c-3f2f8d1e0a11";
    expect(findings(claim, [user, "key", "id", user, user, user])).toEqual([]);
    expect(judgeStatement(claim, { values: [user, "key", "id", user, user, user] }).perUserTables).toEqual(["idempotency_keys", "rate_limit_windows"]);
    // Without values, four parameters are four users as far as the text says.
    expect(findings(claim)).toEqual(["idempotency_keys+rate_limit_windows statement"]);
    // With another user's id in one of them, the statement spans two shards.
    expect(findings(claim, [user, "key", "id", user, "6f8e2b1a-0000-4000-8000-000000000002", user])).toEqual(["idempotency_keys+rate_limit_windows statement"]);
  });

  it("parameters are one user when their values are equal; a NULL restricts to no row", () => {
    const union = "SELECT id FROM payments WHERE user_id = $1 UNION ALL SELECT id FROM refunds WHERE user_id = $2";
    expect(findings(union, ["u1", "u1"])).toEqual([]);
    expect(findings(union, ["u1", null])).toEqual([]);
    expect(findings(union, ["u1", "u2"])).toEqual(["payments+refunds statement"]);
    expect(findings(union)).toEqual(["payments+refunds statement"]);
  });
});

describe("statements that are not restricted to one user are reported, with the table and why", () => {
  it.each([
    ["a lookup by another column", "SELECT id FROM payments WHERE stripe_payment_intent_id = $1", ["payments read"]],
    ["a write fenced by id and lock token only", "UPDATE idempotency_keys SET lock_token = NULL WHERE id = $1 AND lock_token = $2", ["idempotency_keys updated"]],
    ["a DELETE by id", "DELETE FROM idempotency_keys WHERE id = $1", ["idempotency_keys deleted"]],
    ["no WHERE at all", "SELECT count(*) FROM refunds", ["refunds read"]],
    ["user_id under OR", "SELECT * FROM payments WHERE user_id = $1 OR id = $2", ["payments read"]],
    ["user_id under NOT", "SELECT * FROM payments WHERE NOT (user_id <> $1)", ["payments read"]],
    ["= ANY of an array", "SELECT * FROM payments WHERE user_id = ANY($1)", ["payments read"]],
    ["IN with several values", "SELECT * FROM payments WHERE user_id IN ($1, $2)", ["payments read"]],
    ["IS NOT DISTINCT FROM", "SELECT * FROM payments WHERE user_id IS NOT DISTINCT FROM $1", ["payments read"]],
    ["a join that is not co-located", "SELECT p.id FROM payments p JOIN refunds r ON r.payment_id = p.id WHERE p.user_id = $1", ["refunds read"]],
    ["a join on user_id to an unrestricted table", "SELECT * FROM payments p JOIN refunds r ON r.user_id = p.user_id WHERE r.id = $1", ["payments read", "refunds read"]],
    ["the preserved side of a LEFT JOIN, filtered in ON only", "SELECT * FROM payments p LEFT JOIN refunds r ON r.user_id = p.user_id AND p.user_id = $1", ["payments read", "refunds read"]],
    ["a FULL JOIN", "SELECT * FROM payments p FULL JOIN refunds r ON r.user_id = p.user_id AND p.user_id = $1 AND r.user_id = $1", ["payments read", "refunds read"]],
    ["a filter outside the subquery that reads the table", "SELECT * FROM (SELECT * FROM payments) s WHERE s.user_id = $1", ["payments read"]],
    ["a filter on a CTE's output, not in the CTE", "WITH all_keys AS (SELECT id, user_id FROM idempotency_keys) SELECT id FROM all_keys WHERE user_id = $1", ["idempotency_keys read"]],
    ["an uncorrelated subquery", "SELECT * FROM payments p WHERE p.user_id = $1 AND EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = p.id)", ["refunds read"]],
    ["a scalar subquery of an unrestricted table", "UPDATE api_keys SET last_used_at = now() WHERE user_id = (SELECT user_id FROM api_keys WHERE hash = $1) AND id = $2", ["api_keys updated", "api_keys read"]],
    ["INSERT without user_id", "INSERT INTO payments (id, amount) VALUES ($1, $2)", ["payments inserted"]],
    ["INSERT without a column list", "INSERT INTO payments VALUES ($1, $2)", ["payments inserted"]],
    ["INSERT … DEFAULT VALUES", "INSERT INTO payments DEFAULT VALUES", ["payments inserted"]],
    ["INSERT … VALUES with an expression", "INSERT INTO payments (id, user_id) VALUES ($1, lower($2))", ["payments inserted"]],
    ["INSERT … VALUES, one row without a user", "INSERT INTO payments (id, user_id) VALUES ($1, $2), ($3, DEFAULT)", ["payments inserted"]],
    ["INSERT … SELECT of an unrestricted user_id", "INSERT INTO refunds (id, user_id) SELECT $1, p.user_id FROM payments p WHERE p.stripe_payment_intent_id = $2", ["payments read", "refunds inserted"]],
    ["INSERT … SELECT of COALESCE", "INSERT INTO payments (id, user_id) SELECT $1, COALESCE(a.user_id, $2) FROM payments a WHERE a.user_id = $2", ["payments inserted"]],
    ["INSERT … SELECT *", "INSERT INTO payments (id, user_id) SELECT * FROM payments WHERE user_id = $1", ["payments inserted"]],
    ["UPDATE of user_id", "UPDATE payments SET user_id = $1 WHERE user_id = $2 AND id = $3", ["payments updated"]],
    ["ON CONFLICT DO UPDATE of user_id", "INSERT INTO payments (id, user_id) VALUES ($1, $2) ON CONFLICT (user_id, id) DO UPDATE SET user_id = EXCLUDED.user_id", ["payments updated"]],
    ["a subquery in ON CONFLICT … WHERE", "INSERT INTO payments (id, user_id) VALUES ($1, $2) ON CONFLICT (user_id, id) DO UPDATE SET status = 'x' WHERE NOT EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = payments.id)", ["refunds read"]],
    ["two users in one statement", "SELECT p.id FROM payments p JOIN refunds r ON r.user_id = p.user_id WHERE p.user_id = $1 UNION ALL SELECT id FROM refunds WHERE user_id = $2", ["payments+refunds statement"]],
    ["TRUNCATE", "TRUNCATE payments", ["payments statement"]],
    ["COPY", "COPY refunds FROM STDIN", ["refunds statement"]],
    ["LOCK", "LOCK TABLE api_keys", ["api_keys statement"]],
    ["MERGE", "MERGE INTO payments p USING refunds r ON p.id = r.payment_id WHEN MATCHED THEN DELETE", ["payments statement", "refunds statement"]],
  ])("%s", (_label, sql, expected) => {
    expect(findings(sql)).toEqual(expected);
  });

  it("says why: the columns it is filtered on, what its user_id is equated with, where INSERT takes user_id from", () => {
    expect(reasons("SELECT id FROM payments WHERE stripe_payment_intent_id = $1")).toEqual([
      "no top-level AND conjunct payments.user_id = <parameter | constant | restricted reference's user_id> in its WHERE or JOIN … ON; filtered on stripe_payment_intent_id only",
    ]);
    expect(reasons("WITH doomed AS (SELECT user_id, id FROM idempotency_keys WHERE expires_at <= now()) DELETE FROM idempotency_keys k USING doomed WHERE k.user_id = doomed.user_id AND k.id = doomed.id")[1]).toMatch(
      /^k\.user_id is equated only with doomed\.user_id, not restricted to one user itself/,
    );
    expect(reasons("INSERT INTO payments (id, user_id) SELECT $1, COALESCE(known.user_id, $2) FROM payments known WHERE known.user_id = $3")).toEqual([
      "INSERT … SELECT takes user_id from COALESCE(known.user_id, $2), not a parameter, a constant or a restricted reference's user_id",
    ]);
  });

  it("a statement PostgreSQL cannot parse is a finding, not a pass", () => {
    expect(reasons("SELEC id FROM payments")).toEqual([expect.stringMatching(/^PostgreSQL's parser refuses it: syntax error/)]);
  });
});

describe("session state (PgBouncer in transaction mode)", () => {
  it.each([
    "SET statement_timeout = 0",
    "SET SESSION search_path = public",
    "SET TIME ZONE 'UTC'",
    "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE",
    "RESET statement_timeout",
    "RESET ALL",
    "SELECT set_config('app.user', $1, false)",
    "SELECT set_config('app.user', $1, $2)",
    "PREPARE find AS SELECT 1",
    "EXECUTE find",
    "DEALLOCATE ALL",
    "LISTEN payments",
    "UNLISTEN *",
    "SELECT pg_advisory_lock(1)",
    "SELECT pg_try_advisory_lock(1, 2)",
    "SELECT pg_advisory_lock_shared(1)",
    "SELECT pg_advisory_unlock(1)",
    "SELECT pg_advisory_unlock_all()",
    "SELECT * FROM payments WHERE user_id = $1 AND pg_try_advisory_lock(hashtext(id::text))",
    "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
    "CREATE TEMP TABLE scratch (id int)",
    "CREATE TEMPORARY VIEW v AS SELECT 1",
    "SELECT 1 INTO TEMP t",
    "DISCARD ALL",
  ])("%s is reported", (sql) => {
    expect(session(sql)).toHaveLength(1);
  });

  it.each([
    "BEGIN",
    "COMMIT",
    "SET LOCAL statement_timeout = 0",
    "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
    "SET TRANSACTION SNAPSHOT '00000003-0000001B-1'",
    "SELECT set_config('app.user', $1, true)",
    "SELECT pg_advisory_xact_lock(1)",
    "SELECT pg_try_advisory_xact_lock(1)",
    "DECLARE c CURSOR FOR SELECT 1",
    "SHOW statement_timeout",
    "NOTIFY payments",
  ])("%s is transaction-scoped (or stateless)", (sql) => {
    expect(session(sql)).toEqual([]);
  });

  it("a query sent with a name is a named prepared statement", () => {
    expect(session("SELECT 1", "statement_7")).toEqual([expect.stringContaining('named prepared statement "statement_7"')]);
    expect(session("SELECT 1", null)).toEqual([]);
  });
});

describe("the allow-list", () => {
  const byHash: CrossUserAllowance = { operation: "authentication", reason: "the token is all there is", tables: ["api_keys"], sql: /FROM api_keys WHERE hash = \$1/ };
  const lookup = "WITH active AS (SELECT user_id, id FROM api_keys WHERE hash = $1) SELECT r.id FROM active JOIN refunds r ON r.payment_id = active.id";

  it("excuses findings on its tables only, and says which it excused", () => {
    const outcome = applyAllowList(judgeStatement(lookup), [byHash]);
    expect(outcome.allowance).toBe(byHash);
    expect(outcome.excused.map((f) => f.table)).toEqual(["api_keys"]);
    expect(outcome.findings.map((f) => f.table)).toEqual(["refunds"]);
  });

  it("leaves a statement it does not match alone", () => {
    const outcome = applyAllowList(judgeStatement("SELECT id FROM api_keys WHERE prefix = $1"), [byHash]);
    expect(outcome).toMatchObject({ allowance: null, excused: [] });
    expect(outcome.findings).toHaveLength(1);
  });

  it("refuses two entries for one statement: one operation, one reason", () => {
    expect(() => applyAllowList(judgeStatement(lookup), [byHash, { ...byHash, operation: "again" }])).toThrow(/overlap/);
  });
});
