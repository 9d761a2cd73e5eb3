import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { GET as cronReconcile } from "@/app/api/cron/reconcile/route";
import { db } from "@/server/db";
import { reconcileStuckKeys } from "@/server/ops/reconcile-stuck-keys";
import { crashAtCompletion, refuseRows } from "../helpers/db-faults";
import { customer, pay, VALID_PAYMENT, type TestCustomer } from "../helpers/payments-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";

const stripe = startStripeEmulatorForFile();
const CRON_SECRET = "cron-secret-for-reconcile-tests-0123";
process.env.CRON_SECRET = CRON_SECRET;
const keyRow = (userId: string, key: string) => db().idempotencyKey.findUnique({ where: { userId_key: { userId, key } } });

/** A payment request that reached Stripe and then "crashed", its key aged by `hours`. */
async function crashedPayment(who: TestCustomer, hours: number, body: object = VALID_PAYMENT) {
  const key = randomUUID();
  // PostgreSQL "goes away" on the completing statement: the lock is left held, as by kill -9.
  const crash = await crashAtCompletion(who.id, { times: 1 });
  try {
    expect((await pay(who, { key, body })).status).toBe(503);
  } finally {
    await crash.remove();
  }
  await age(who.id, key, hours);
  return key;
}

/** A payment Stripe charged whose row the database refused: its key flagged for the reconciler. */
async function flaggedPayment(who: TestCustomer): Promise<string> {
  const key = randomUUID();
  const fault = await refuseRows("payments", who.id);
  try {
    expect((await pay(who, { key })).status).toBe(500);
  } finally {
    await fault.remove();
  }
  return key;
}

async function age(userId: string, key: string, hours: number) {
  await db().$executeRaw`
    UPDATE idempotency_keys SET created_at = now() - make_interval(secs => ${hours * 3600}::float8),
      locked_at = CASE WHEN lock_token IS NULL THEN NULL ELSE now() - make_interval(secs => ${hours * 3600}::float8) END
    WHERE user_id = ${userId}::uuid AND key = ${key}`;
}

describe.sequential("npm run reconcile (reconcileStuckKeys)", () => {
  it("completes a key whose request crashed after Stripe charged, from the PaymentIntent found by metadata", async () => {
    const alice = await customer();
    const key = await crashedPayment(alice, 23.5);
    const [intent] = stripe.emulator.paymentIntents({ metadata: { user_id: alice.id } });

    const results: unknown[] = [];
    const counts = await reconcileStuckKeys({ onKey: (r) => results.push(r) });
    expect(counts).toEqual({ recorded: 1, forgotten: 0, skipped: 0, unresolved: 0 });
    const row = await keyRow(alice.id, key);
    expect(results).toEqual([{ keyId: row!.id, outcome: "recorded", stripeObjectId: intent!.id }]);
    expect(row).toMatchObject({ recoveryPoint: "finished", responseStatus: 201, lockToken: null });
    expect(await db().payment.findFirstOrThrow({ where: { id: row!.id } })).toMatchObject({
      stripePaymentIntentId: intent!.id,
      status: "succeeded",
      userId: alice.id,
    });

    // The client's retry now gets the reconciled answer, and nothing is charged again.
    const retry = await pay(alice, { key });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await retry.json()).paymentIntentId).toBe(intent!.id);
    expect(stripe.emulator.paymentIntents({ metadata: { user_id: alice.id } })).toHaveLength(1);
  });

  it("completes a crashed decline as the stored 402", async () => {
    const alice = await customer();
    const key = await crashedPayment(alice, 24, { ...VALID_PAYMENT, paymentMethod: "pm_card_chargeDeclined" });
    expect(await reconcileStuckKeys()).toEqual({ recorded: 1, forgotten: 0, skipped: 0, unresolved: 0 });
    expect(await keyRow(alice.id, key)).toMatchObject({ recoveryPoint: "finished", responseStatus: 402 });
    const replay = await pay(alice, { key, body: { ...VALID_PAYMENT, paymentMethod: "pm_card_chargeDeclined" } });
    expect(replay.status).toBe(402);
    expect(await replay.json()).toMatchObject({ code: "card_declined", payment: { status: "failed" } });
  });

  it("forgets a key that never reached Stripe, so a retry pays afresh", async () => {
    const alice = await customer();
    const key = randomUUID();
    stripe.emulator.setFaults({ failNext: 1 });
    expect((await pay(alice, { key })).status).toBe(503); // released, nothing charged
    await age(alice.id, key, 23.5);

    expect(await reconcileStuckKeys()).toEqual({ recorded: 0, forgotten: 1, skipped: 0, unresolved: 0 });
    expect(await keyRow(alice.id, key)).toBeNull();
    expect((await pay(alice, { key })).status).toBe(201);
    expect(stripe.emulator.paymentIntents({ metadata: { user_id: alice.id } })).toHaveLength(1);
  });

  it("leaves young keys to client retries and never touches a live request's lock", async () => {
    const alice = await customer();
    const young = await crashedPayment(alice, 1);
    const live = randomUUID();
    stripe.emulator.setFaults({ latencyMs: 1_500 });
    const inFlight = pay(alice, { key: live });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await db().$executeRaw`UPDATE idempotency_keys SET created_at = now() - interval '24 hours' WHERE user_id = ${alice.id}::uuid AND key = ${live}`;

    expect(await reconcileStuckKeys()).toEqual({ recorded: 0, forgotten: 0, skipped: 0, unresolved: 0 });
    expect((await inFlight).status).toBe(201);
    expect(await keyRow(alice.id, young)).toMatchObject({ recoveryPoint: "started" });
    // With a shorter window the young key is reconciled too.
    expect(await reconcileStuckKeys({ olderThanSeconds: 1800 })).toMatchObject({ recorded: 1 });
  });
});

/** `npm run reconcile` as an operator runs it: its own process, the app's environment, no flags. */
function reconcileCli() {
  return promisify(execFile)(path.resolve("node_modules/.bin/tsx"), ["--conditions=react-server", "scripts/reconcile-stuck-keys.ts"], {
    env: { ...process.env, LOG_LEVEL: "silent" },
  });
}

describe.sequential("the reconcile command", () => {
  it("exits 1 while a flagged payment cannot be recorded, and records it with no flags once the fault is gone", async () => {
    const alice = await customer();
    const key = randomUUID();
    const fault = await refuseRows("payments", alice.id);
    try {
      expect((await pay(alice, { key })).status).toBe(500);
      const failing = await reconcileCli().then(
        () => expect.fail("reconcile should exit 1 while a key is unresolved"),
        (error: { code: number; stdout: string }) => error,
      );
      expect(failing.code).toBe(1);
      expect(failing.stdout).toContain("recorded 0, forgotten 0, skipped 0, unresolved 1");
    } finally {
      await fault.remove();
    }
    const [intent] = stripe.emulator.paymentIntents({ metadata: { user_id: alice.id } });
    const { stdout } = await reconcileCli();
    const row = await keyRow(alice.id, key);
    expect(stdout).toContain(`${row!.id}: recorded (${intent!.id})`);
    expect(stdout).toContain("recorded 1, forgotten 0, skipped 0, unresolved 0");
    expect(await db().payment.count({ where: { userId: alice.id, stripePaymentIntentId: intent!.id } })).toBe(1);
    const replay = await pay(alice, { key });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });
});

describe.sequential("GET /api/cron/reconcile", () => {
  const call = (authorization?: string) =>
    cronReconcile(new Request("http://localhost/api/cron/reconcile", { headers: authorization ? { Authorization: authorization } : {} }), {
      params: Promise.resolve({}),
    });

  it("refuses a missing or wrong secret with 401 and touches no key", async () => {
    const alice = await customer();
    const key = await flaggedPayment(alice);
    for (const response of [await call(), await call("Bearer wrong-secret"), await call(CRON_SECRET)]) {
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="cron"');
    }
    expect(await keyRow(alice.id, key)).toMatchObject({ recoveryPoint: "needs_reconciliation" });
  });

  it("records a flagged payment from Stripe's records, as npm run reconcile does, and says what it did", async () => {
    const alice = await customer();
    const key = await flaggedPayment(alice);
    const response = await call(`Bearer ${CRON_SECRET}`);
    expect(response.status).toBe(200);
    const counts = (await response.json()) as Record<string, number>;
    // Keys of earlier tests in this file may be among them: at least this one is recorded, none is left unresolved.
    expect(counts.recorded).toBeGreaterThanOrEqual(1);
    expect(counts.unresolved).toBe(0);
    expect(await keyRow(alice.id, key)).toMatchObject({ recoveryPoint: "finished", responseStatus: 201 });
    const replay = await pay(alice, { key });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });
});
