import { randomUUID } from "node:crypto";
import { Prisma } from "@prisma/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as listApiKeysRoute, POST as createApiKeyRoute } from "@/app/api/api-keys/route";
import { POST as signUpRoute } from "@/app/api/auth/sign-up/route";
import { GET as reconcileCron } from "@/app/api/cron/reconcile/route";
import { GET as keyStatusRoute } from "@/app/api/idempotency-keys/[key]/route";
import { idempotencyKeyPath } from "@/lib/routes";
import { db, sqlRows } from "@/server/db";
import { cleanupExpiredKeys } from "@/server/ops/cleanup-expired-keys";
import { signInWithPassword } from "../helpers/auth";
import { refuseRows } from "../helpers/db-faults";
import { list, pay, show, type TestCustomer, VALID_PAYMENT } from "../helpers/payments-api";
import { refund, refundsOf } from "../helpers/refunds-api";
import { seedKeys } from "../helpers/seed-keys";
import {
  applyAllowList,
  collapse,
  type CrossUserAllowance,
  judgeStatement,
  loadSqlParser,
  type ShardFinding,
  type StatementVerdict,
} from "../helpers/shard-rules";
import { type CapturedQuery, captureSql } from "../helpers/sql-capture";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";
import { deliver } from "../helpers/stripe-webhooks";

/*
 * "Shard safety proven by a test": every statement a full run of the app sends is parsed by
 * PostgreSQL's own parser and must touch the per-user tables (api_keys, idempotency_keys,
 * payments, refunds, rate_limit_windows) for ONE user_id only, so that a database distributed
 * by user_id (Citus-style, per-user tables co-located, users a reference table) routes it to
 * one shard, or be one of the cross-user operations below, each with its reason. And no
 * statement may keep session state, so the app works behind PgBouncer in transaction mode.
 * The rule itself: tests/helpers/shard-rules.ts (and shard-rules.test.ts).
 */

// Stripe's "later" (a dispute opening) happens when the test says so: stripe.emulator.settle().
const stripe = startStripeEmulatorForFile({ emulator: { asyncSettleMs: null } });
const CRON_SECRET = "cron-secret-for-shard-safety-0123456789";
process.env.CRON_SECRET = CRON_SECRET;

/**
 * The statements that must read or write per-user tables across users, and why. Each entry
 * excuses findings on its `tables` only, and must match a captured statement that needs it:
 * an entry that matches nothing, or excuses nothing, fails the test (the list cannot go stale).
 * A global sweep of old rate_limit_windows (mentioned in src/server/rate-limit.ts; today each
 * user's old windows are pruned in that user's own upsert) would belong here once it exists.
 */
const CROSS_USER: readonly CrossUserAllowance[] = [
  {
    operation: "API-key authentication by hash",
    reason:
      "the bearer token is all a caller presents: its user is unknown until the key is found by the secret's hash, so the lookup (and the last_used_at touch of the row it found, in the same statement) cannot name a user_id",
    tables: ["api_keys"],
    sql: /\bFROM api_keys WHERE hash = \$\d+ AND revoked_at IS NULL\b/,
  },
  {
    operation: "webhook routing: the user of a refund's or dispute's PaymentIntent",
    reason:
      "Stripe sends refunds and disputes with the PaymentIntent id only (a Dashboard refund carries no metadata of ours), and an intent whose metadata was edited names no user: the user is read from the one payment holding that intent, and the event's effect then touches that user's rows only (docs/decisions/011-shard-ready-by-user.md)",
    tables: ["payments"],
    sql: /\bSELECT user_id::text AS "userId" FROM payments WHERE stripe_payment_intent_id = \$\d+ LIMIT\b/,
  },
  {
    operation: "cleanup: delete expired keys",
    reason: "maintenance over every user's finished keys past their TTL (npm run cleanup, GET /api/cron/cleanup), in small paced batches",
    tables: ["idempotency_keys"],
    sql: /^WITH doomed AS \( ?SELECT [^()]*\bFROM idempotency_keys WHERE expires_at <= now\(\) AND recovery_point = 'finished'.*\) DELETE FROM idempotency_keys\b/,
  },
  {
    operation: "cleanup: count expired keys",
    reason: "the cleanup run's summary: how many expired keys are left, over every user",
    tables: ["idempotency_keys"],
    sql: /^SELECT count\(\*\)::int AS count FROM idempotency_keys WHERE expires_at <= now\(\) AND recovery_point = 'finished'$/,
  },
  {
    operation: "reconciler: scan for stuck keys",
    reason:
      "npm run reconcile / GET /api/cron/reconcile finds every user's flagged or abandoned keys; each key it finds is then handled with that key's own user_id",
    tables: ["idempotency_keys"],
    sql: /^SELECT .*\bFROM idempotency_keys WHERE recovery_point <> 'finished' AND NOT \(lock_token IS NOT NULL\b/,
  },
];

const capture = captureSql();
afterAll(() => capture.uninstall());
beforeAll(loadSqlParser);

const THREE_D_SECURE = { ...VALID_PAYMENT, paymentMethod: "pm_card_authenticationRequired" } as const;
const DECLINED = { ...VALID_PAYMENT, paymentMethod: "pm_card_chargeDeclined" } as const;
const DISPUTED = { ...VALID_PAYMENT, paymentMethod: "pm_card_createDispute" } as const;
const PASSWORD = "shard safety passphrase";
const noParams = { params: Promise.resolve({}) };

describe("the shard rule, as the full run applies it (allow-list included)", () => {
  const planted = (text: string, name: string | null = null): CapturedQuery => ({ text, values: undefined, name, via: "pool", step: "planted", origin: [] });
  /** Each planted statement with what the full run's judging says of it: reported, or not. */
  const reported = (queries: CapturedQuery[]) =>
    judge(queries).judged.map(({ query, findings, verdict }) => [query.text, findings.length + verdict.sessionFindings.length > 0]);

  it("reports planted cross-user and session-state statements", () => {
    const statements = [
      "SELECT id FROM payments WHERE stripe_payment_intent_id = $1",
      "UPDATE idempotency_keys SET lock_token = NULL WHERE id = $1",
      "SELECT p.id FROM payments p JOIN refunds r ON r.payment_id = p.id WHERE p.user_id = $1",
      "SELECT p.id FROM payments p JOIN refunds r ON r.user_id = p.user_id WHERE p.user_id = $1 UNION ALL SELECT id FROM refunds WHERE user_id = $2",
      "INSERT INTO payments (id, amount) VALUES ($1, $2)",
      "WITH active AS (SELECT user_id, id FROM api_keys WHERE hash = $1 AND revoked_at IS NULL) SELECT r.id FROM active JOIN refunds r ON r.idempotency_key_id = active.id",
      "SELECT pg_advisory_lock(1)",
      "SET statement_timeout = 0",
    ];
    expect(reported([...statements.map((sql) => planted(sql)), planted("SELECT 1", "prepared_1")])).toEqual([
      ...statements.map((sql) => [sql, true]),
      ["SELECT 1", true],
    ]);
  });

  it("passes statements restricted to one user", () => {
    const statements = [
      "SELECT id FROM payments WHERE user_id = $1 AND id = $2",
      "WITH mine AS (SELECT id, user_id FROM payments WHERE user_id = $1 AND id = $2) SELECT r.id FROM refunds r JOIN mine ON r.user_id = mine.user_id AND r.payment_id = mine.id",
      "WITH gone AS (DELETE FROM idempotency_keys WHERE user_id = $1 AND id = $2 RETURNING user_id, key) INSERT INTO idempotency_keys (id, user_id, key) SELECT $3, user_id, key FROM gone",
      "SET LOCAL statement_timeout = 0",
      "SELECT pg_advisory_xact_lock(1)",
    ];
    expect(reported(statements.map((sql) => planted(sql)))).toEqual(statements.map((sql) => [sql, false]));
  });
});

describe("a full run of the app, two users, every statement captured", () => {
  it("node-postgres is wrapped so that Pool#query and a transaction's Client#query are each recorded once", async () => {
    const from = capture.queries.length;
    await capture.step("capture self-check", async () => {
      await db().$queryRaw`SELECT 1 AS through_prisma`;
      await db().$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 2 AS in_a_transaction`;
      });
      await sqlRows(Prisma.sql`SELECT 3 AS through_sql_rows`);
    });
    const seen = capture.queries.slice(from).map((q) => [collapse(q.text), q.via]);
    expect(seen).toEqual([
      ["SELECT 1 AS through_prisma", "pool"],
      ["BEGIN", "client"],
      ["SELECT 2 AS in_a_transaction", "client"],
      ["COMMIT", "client"],
      ["SELECT 3 AS through_sql_rows", "pool"],
    ]);
  });

  it("touches per-user tables for one user_id per statement, or as an allow-listed cross-user operation, and keeps no session state", async () => {
    const started = performance.now();
    const from = capture.queries.length;
    const step = capture.step;

    const alice = await step("sign-up, sign-in, create API key (alice)", () => newCustomer("alice"));
    const bob = await step("sign-up, sign-in, create API key (bob)", () => newCustomer("bob"));

    // Alice: a payment, its replay, a decline.
    const paymentKey = randomUUID();
    const paid = await step("new payment (alice)", () => pay(alice, { key: paymentKey }));
    expect(paid.status).toBe(201);
    const payment = (await paid.json()) as { id: string };
    const replayed = await step("replay (alice)", () => pay(alice, { key: paymentKey }));
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");
    expect((await step("declined card (alice)", () => pay(alice, { body: DECLINED }))).status).toBe(402);
    // A key used again after it expired: the old row is replaced by a new request.
    const reusedKey = randomUUID();
    expect((await step("new payment (alice)", () => pay(alice, { key: reusedKey }))).status).toBe(201);
    await db().$executeRaw`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = ${alice.id}::uuid AND key = ${reusedKey}`;
    const reused = await step("expired key used again (alice)", () => pay(alice, { key: reusedKey }));
    expect([reused.status, reused.headers.get("idempotent-replayed")]).toEqual([201, null]);

    // Bob: 3-D Secure, completed by the customer, its webhook delivered.
    const secured = await step("3-D Secure payment (bob)", () => pay(bob, { body: THREE_D_SECURE }));
    expect(secured.status).toBe(201);
    const securePayment = (await secured.json()) as { id: string; status: string; paymentIntentId: string };
    expect(securePayment.status).toBe("requires_action");
    expect((await (await step("get payment, refreshed from Stripe (bob)", () => show(bob, securePayment.id))).json()).status).toBe("requires_action");
    stripe.emulator.authenticatePaymentIntent(securePayment.paymentIntentId, "succeed");
    const succeeded = stripe.emulator.events({ type: "payment_intent.succeeded" }).find((e) => e.data.object.id === securePayment.paymentIntentId);
    expect(succeeded).toBeDefined();
    const delivered = await step("webhook payment_intent.succeeded (3-D Secure, bob)", () => deliver(succeeded!));
    expect(delivered.status).toBe(200);
    expect((await (await step("get payment (bob)", () => show(bob, securePayment.id))).json()).status).toBe("succeeded");

    // Refunds: all of Alice's payment, part of Bob's.
    const refundKey = randomUUID();
    expect((await step("refund (alice)", () => refund(alice, payment.id, { key: refundKey }))).status).toBe(201);
    expect((await step("refund, partial (bob)", () => refund(bob, securePayment.id, { body: { amount: 1_000 } }))).status).toBe(201);
    expect((await step("refunds of a payment (alice)", () => refundsOf(alice, payment.id))).status).toBe(200);
    // A charge the card holder disputes afterwards (its webhooks are delivered below).
    expect((await step("payment later disputed (bob)", () => pay(bob, { body: DISPUTED }))).status).toBe(201);
    expect(stripe.emulator.settle().length).toBeGreaterThan(0);

    // Reads.
    expect((await step("key status (alice)", () => keyStatus(alice, paymentKey))).status).toBe(200);
    expect((await step("key status of a refund key (alice)", () => keyStatus(alice, refundKey))).status).toBe(200);
    expect((await step("list payments (alice)", () => list(alice))).status).toBe(200);
    expect((await step("list payments (bob)", () => list(bob))).status).toBe(200);
    expect((await step("get payment (alice)", () => show(alice, payment.id))).status).toBe(200);
    expect((await step("API key list (alice)", () => listApiKeysRoute(new Request("http://localhost/api/api-keys", { headers: alice.headers }), noParams))).status).toBe(200);
    expect((await step("API key list (bob)", () => listApiKeysRoute(new Request("http://localhost/api/api-keys", { headers: bob.headers }), noParams))).status).toBe(200);

    // Every other event of the run, oldest first, as Stripe would send them.
    const others = stripe.emulator.events().reverse().filter((event) => event.id !== succeeded!.id);
    const answers = await step("webhooks: every other event of the run", async () => {
      const statuses: number[] = [];
      for (const event of others) statuses.push((await deliver(event)).status);
      return statuses;
    });
    expect(answers.every((status) => status === 200)).toBe(true);
    expect(others.map((event) => event.type)).toEqual(expect.arrayContaining(["refund.created", "charge.dispute.created", "payment_intent.payment_failed"]));

    // Keys for the reconciler: Alice's flagged (the database refused her payment row), Bob's
    // released by a Stripe failure and left alone for a day.
    const fault = await refuseRows("payments", alice.id);
    const flaggedKey = randomUUID();
    const refused = await step("payment whose row the database refuses: flagged (alice)", () => pay(alice, { key: flaggedKey })).finally(() => fault.remove());
    expect(refused.status).toBe(500);
    stripe.emulator.setFaults({ failNext: 1 });
    const abandonedKey = randomUUID();
    expect((await step("payment Stripe fails: released (bob)", () => pay(bob, { key: abandonedKey }))).status).toBe(503);
    stripe.emulator.resetFaults();
    await db().$executeRaw`UPDATE idempotency_keys SET created_at = now() - interval '24 hours' WHERE user_id = ${bob.id}::uuid AND key = ${abandonedKey}`;
    const reconciled = await step("reconciler (GET /api/cron/reconcile)", () =>
      reconcileCron(new Request("http://localhost/api/cron/reconcile", { headers: { Authorization: `Bearer ${CRON_SECRET}` } }), noParams),
    );
    expect(reconciled.status).toBe(200);
    expect(await reconciled.json()).toMatchObject({ recorded: 1, forgotten: 1, unresolved: 0 });

    // Expired keys of both users for the cleanup.
    await seedKeys(alice.id, "expired", 2);
    await seedKeys(bob.id, "expired", 2);
    const cleaned = await step("cleanup (cleanupExpiredKeys, as npm run cleanup)", () => cleanupExpiredKeys({ batchSize: 3, maxDuty: 1 }));
    expect(cleaned).toMatchObject({ deleted: 4, remaining: 0 });

    const runMs = performance.now() - started;
    const report = judge(capture.queries.slice(from));
    console.log(summary(report, runMs));
    // SHARD_SAFETY_LIST=1: every distinct statement with its verdict, to review the rule's judgement.
    if (process.env.SHARD_SAFETY_LIST) console.log(listing(report.judged));

    // Soft: a failing run reports all three.

    expect.soft(report.violations, "statements on per-user tables not restricted to one user_id, nor allow-listed").toEqual([]);
    expect.soft(report.session, "statements that keep session state (not PgBouncer transaction mode safe)").toEqual([]);
    expect.soft(report.stale, "allow-list entries that match no captured statement, or excuse nothing").toEqual([]);
  }, 60_000);
});

/** Sign-up and sign-in through the routes, then an API key created by the route with the session. */
async function newCustomer(name: string): Promise<TestCustomer> {
  const email = `${name}-${randomUUID()}@example.test`;
  const signedUp = await signUpRoute(
    new Request("http://localhost/api/auth/sign-up", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password: PASSWORD, name }) }),
    noParams,
  );
  expect(signedUp.status).toBe(201);
  const { id } = (await signedUp.json()) as { id: string };
  const { cookie } = await signInWithPassword(email, PASSWORD);
  expect(cookie).not.toBeNull();
  const created = await createApiKeyRoute(
    new Request("http://localhost/api/api-keys", {
      method: "POST",
      headers: { "Content-Type": "application/json", Cookie: cookie!, "Sec-Fetch-Site": "same-origin" },
      body: JSON.stringify({ name: "shard safety" }),
    }),
    noParams,
  );
  expect(created.status).toBe(201);
  const { secret } = (await created.json()) as { secret: string };
  return { id, email, headers: { Authorization: `Bearer ${secret}` } };
}

function keyStatus(who: TestCustomer, key: string): Promise<Response> {
  return keyStatusRoute(new Request(`http://localhost${idempotencyKeyPath(key)}`, { headers: who.headers }), { params: Promise.resolve({ key }) });
}

// ---------------------------------------------------------------- judging and reporting

type Violation = { statement: string; table: string; role: string; reason: string; executions: number; steps: string[]; origin: string[] };

type Judged = { query: CapturedQuery; verdict: StatementVerdict; allowedAs: string | null; excused: ShardFinding[]; findings: ShardFinding[] };

function judge(queries: readonly CapturedQuery[]) {
  const judged: Judged[] = queries.map((query) => {
    const verdict = judgeStatement(query.text, { values: query.values, name: query.name });
    const outcome = applyAllowList(verdict, CROSS_USER);
    return { query, verdict, allowedAs: outcome.allowance?.operation ?? null, excused: outcome.excused, findings: outcome.findings };
  });

  const violations = new Map<string, Violation>();
  for (const { query, verdict, findings } of judged) {
    for (const finding of findings) {
      const id = `${verdict.fingerprint} ${finding.table} ${finding.role} ${finding.reason}`;
      const entry = violations.get(id) ?? { statement: verdict.normalized, ...finding, executions: 0, steps: [], origin: [] };
      entry.executions += 1;
      if (!entry.steps.includes(query.step)) entry.steps.push(query.step);
      const where = appFrames(query).join(" ← ");
      if (where && !entry.origin.includes(where)) entry.origin.push(where);
      violations.set(id, entry);
    }
  }

  const session = [...new Set(judged.flatMap(({ verdict }) => verdict.sessionFindings.map((finding) => `${finding}: ${verdict.normalized}`)))];
  const stale = CROSS_USER.flatMap((entry) => {
    const matched = judged.filter((j) => j.allowedAs === entry.operation);
    if (matched.length === 0) return [`"${entry.operation}" matches no captured statement`];
    if (matched.every((j) => j.excused.length === 0)) return [`"${entry.operation}" matches ${matched.length} statement(s) but excuses nothing: they are restricted to one user now`];
    return [];
  });
  return { judged, violations: [...violations.values()], session, stale };
}

function summary(report: ReturnType<typeof judge>, runMs: number): string {
  const { judged } = report;
  const distinct = (rows: Judged[]) => new Set(rows.map((j) => j.verdict.fingerprint)).size;
  const perUser = judged.filter((j) => j.verdict.perUserTables.length > 0);
  const restricted = perUser.filter((j) => j.verdict.findings.length === 0);
  const allowed = perUser.filter((j) => j.allowedAs !== null && j.findings.length === 0 && j.excused.length > 0);
  const violating = perUser.filter((j) => j.findings.length > 0);
  const row = (label: string, rows: Judged[]) => `  ${label.padEnd(58)} ${String(distinct(rows)).padStart(4)} ${String(rows.length).padStart(6)}`;
  const lines = [
    `shard safety: ${judged.length} statements captured in ${Math.round(runMs)} ms (${distinct(judged)} distinct)`,
    `  ${"".padEnd(58)} ${"dist".padStart(4)} ${"execs".padStart(6)}`,
    row("all statements", judged),
    row("not touching per-user tables", judged.filter((j) => j.verdict.perUserTables.length === 0)),
    row("per-user, restricted to one user_id", restricted),
    ...CROSS_USER.map((entry) => row(`per-user, allow-listed: ${entry.operation}`, allowed.filter((j) => j.allowedAs === entry.operation))),
    row("per-user, VIOLATING", violating),
    `  session-state findings: ${report.session.length}; stale allow-list entries: ${report.stale.length}`,
  ];
  for (const violation of report.violations) {
    lines.push(`  ✗ ${violation.table} (${violation.role}): ${violation.reason}`);
    lines.push(`      ${violation.statement.slice(0, 400)}`);
    lines.push(`      ${violation.executions}× in: ${violation.steps.join("; ")}`);
    lines.push(`      from: ${violation.origin.join(" | ") || "(no src/ frame on the stack: a query Prisma's engine makes, e.g. for an include)"}`);
  }
  return lines.join("\n");
}

function listing(judged: readonly Judged[]): string {
  const seen = new Map<string, { judged: Judged; executions: number; steps: Set<string> }>();
  for (const entry of judged) {
    const known = seen.get(entry.verdict.fingerprint) ?? { judged: entry, executions: 0, steps: new Set<string>() };
    known.executions += 1;
    known.steps.add(entry.query.step);
    seen.set(entry.verdict.fingerprint, known);
  }
  return [...seen.values()]
    .map(({ judged: { verdict, allowedAs, findings, query }, executions, steps }) => {
      const state =
        verdict.perUserTables.length === 0
          ? "no per-user table"
          : findings.length > 0
            ? "VIOLATING"
            : allowedAs
              ? `allow-listed: ${allowedAs}`
              : `one user (${verdict.userKeys.join(", ")})`;
      return [
        `[${state}] ${verdict.perUserTables.join(", ")} ×${executions} via ${query.via}`,
        `  ${verdict.normalized}`,
        `  steps: ${[...steps].join("; ")}`,
        `  from: ${appFrames(query).join(" ← ")}`,
      ].join("\n");
    })
    .join("\n");
}

/** Where in src/ a statement comes from: the first frames past the SQL helpers and the tracing wrapper. */
function appFrames(query: CapturedQuery): string[] {
  return query.origin.filter((frame) => !frame.startsWith("src/server/db.ts") && !frame.startsWith("src/server/tracing/")).slice(0, 3);
}
