import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { GET as cron } from "@/app/api/cron/cleanup/route";
import { db } from "@/server/db";
import { cleanupExpiredKeys } from "@/server/ops/cleanup-expired-keys";
import { createUser } from "../helpers/database";
import { seedKeys } from "../helpers/seed-keys";

const CRON_SECRET = "cron-secret-for-tests-0123456789";
process.env.CRON_SECRET = CRON_SECRET;
const run = promisify(execFile);

/**
 * A fake clock for the pacing: every reading is `step` ms after the previous one, so each
 * batch (one reading before its statement, one after) appears to take `step` ms; a sleep is
 * recorded and moves the clock on by its length.
 */
function steppingClock(step: number) {
  let now = 0;
  const clock = {
    step,
    sleeps: [] as number[],
    now: () => (now += clock.step),
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      now += ms;
    },
  };
  return clock;
}

// Every test in this file shares one database, and cleanup is global: run them in order.
describe.sequential("cleanup of expired idempotency keys", () => {
  it("deletes expired finished keys in batches, keeps live, locked and unfinished ones, keeps payments", async () => {
    const user = await createUser();
    await seedKeys(user.id, "expired", 5);
    await seedKeys(user.id, "live", 3);
    await seedKeys(user.id, "locked-expired", 2);
    await seedKeys(user.id, "unfinished-expired", 2);
    const referenced = await db().idempotencyKey.findFirstOrThrow({ where: { userId: user.id, key: "expired-1" } });
    const payment = await db().payment.create({
      data: { userId: user.id, amount: 500, currency: "eur", status: "succeeded", stripePaymentIntentId: `pi_cleanup_${user.id}`, idempotencyKeyId: referenced.id },
    });

    const batches: number[] = [];
    const summary = await cleanupExpiredKeys({ batchSize: 2, onBatch: (b) => batches.push(b.deleted) });
    expect(summary).toMatchObject({ deleted: 5, remaining: 0, batches: 3, dryRun: false });
    expect(batches).toEqual([2, 2, 1]);

    const left = await db().idempotencyKey.findMany({ where: { userId: user.id }, select: { key: true } });
    expect(left.map((k) => k.key).sort()).toEqual([
      "live-1",
      "live-2",
      "live-3",
      "locked-expired-1",
      "locked-expired-2",
      "unfinished-expired-1",
      "unfinished-expired-2",
    ]);
    expect(await db().payment.findFirstOrThrow({ where: { id: payment.id } })).toMatchObject({ idempotencyKeyId: null, amount: 500 });
  });

  it("changes nothing in a dry run and reports what it would delete", async () => {
    const user = await createUser();
    await seedKeys(user.id, "expired", 4);
    const before = await db().idempotencyKey.count();
    const summary = await cleanupExpiredKeys({ batchSize: 1, dryRun: true });
    // The first test's locked and unfinished keys are not counted: cleanup may not delete them.
    expect(summary).toMatchObject({ deleted: 0, remaining: 4, batches: 0, dryRun: true });
    expect(await db().idempotencyKey.count()).toBe(before);
    await cleanupExpiredKeys({ batchSize: 1_000 });
  });

  it("two concurrent cleanups delete each row exactly once", async () => {
    const user = await createUser();
    await seedKeys(user.id, "expired", 600);
    const [a, b] = await Promise.all([
      cleanupExpiredKeys({ batchSize: 50 }),
      cleanupExpiredKeys({ batchSize: 50 }),
    ]);
    // Which run deletes more depends on scheduling; that no row is deleted twice (or missed) does not.
    expect(a.deleted + b.deleted).toBe(600);
    // A run that finds every row left locked by the other's batch (SKIP LOCKED) stops and
    // counts that batch, not yet committed, as remaining: at most one batch, and none once both are done.
    expect(a.remaining).toBeLessThanOrEqual(50);
    expect(b.remaining).toBeLessThanOrEqual(50);
    expect((await cleanupExpiredKeys({ batchSize: 50, dryRun: true })).remaining).toBe(0);
    expect(await db().idempotencyKey.count({ where: { userId: user.id } })).toBe(0);
  });

  it("paces itself: a pause after each full batch of 9× its time, the size following the batch time within bounds", async () => {
    const user = await createUser();
    await seedKeys(user.id, "expired", 2_000);
    const clock = steppingClock(100);
    const batches: { size: number; deleted: number; ms: number; pauseMs: number }[] = [];
    const summary = await cleanupExpiredKeys({
      batchSize: 400,
      minBatchSize: 50,
      targetBatchMs: 25,
      maxDuty: 0.1,
      clock,
      onBatch: ({ size, deleted, ms, pauseMs, number }) => {
        batches.push({ size, deleted, ms, pauseMs });
        // Three slow batches (100 ms, 4× the target), then fast ones (5 ms).
        if (number === 3) clock.step = 5;
      },
    });

    expect(summary).toMatchObject({ deleted: 2_000, remaining: 0, batches: 9 });
    // Halved while slow down to the minimum, doubled while fast up to the maximum.
    expect(batches.map((b) => b.size)).toEqual([400, 200, 100, 50, 100, 200, 400, 400, 400]);
    expect(batches.map((b) => b.deleted)).toEqual([400, 200, 100, 50, 100, 200, 400, 400, 150]);
    expect(batches.map((b) => b.ms)).toEqual([100, 100, 100, 5, 5, 5, 5, 5, 5]);
    // No pause after the short batch: nothing was left to take, and the next (empty) one ends the run.
    expect(clock.sleeps).toEqual([900, 900, 900, 45, 45, 45, 45, 45]);
    expect(batches.map((b) => b.pauseMs)).toEqual([...clock.sleeps, 0]);
    expect(summary.pausedMs).toBe(3 * 900 + 5 * 45);
  });

  it("starts no batch and no pause past maxDurationMs", async () => {
    const user = await createUser();
    await seedKeys(user.id, "expired", 100);
    const clock = steppingClock(100);
    const summary = await cleanupExpiredKeys({ batchSize: 10, maxDuty: 0.1, maxDurationMs: 3_000, clock });
    // On this clock a cycle (two more readings, the 100 ms batch, its 900 ms pause) takes 1.3 s:
    // after the third batch the clock reads 3.1 s, and another pause would end past the budget.
    expect(summary).toMatchObject({ deleted: 30, remaining: 70, batches: 3, pausedMs: 1_800 });
    expect(clock.sleeps).toEqual([900, 900]);
    await cleanupExpiredKeys({ batchSize: 1_000, maxDuty: 1 });
  });

  it("stops after --max-batches", async () => {
    const user = await createUser();
    await seedKeys(user.id, "expired", 10);
    const summary = await cleanupExpiredKeys({ batchSize: 3, maxBatches: 2 });
    expect(summary).toMatchObject({ deleted: 6, remaining: 4, batches: 2 });
    await cleanupExpiredKeys({ batchSize: 1_000 });
  });
});

describe.sequential("GET /api/cron/cleanup", () => {
  const call = (authorization?: string) =>
    cron(new Request("http://localhost/api/cron/cleanup", { headers: authorization ? { Authorization: authorization } : {} }), {
      params: Promise.resolve({}),
    });

  it("refuses a missing or wrong secret with 401 and deletes nothing", async () => {
    const user = await createUser();
    await seedKeys(user.id, "expired", 3);
    for (const response of [await call(), await call("Bearer wrong-secret"), await call(CRON_SECRET)]) {
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="cron"');
    }
    expect(await db().idempotencyKey.count({ where: { userId: user.id } })).toBe(3);
  });

  it("runs a bounded cleanup with the right secret", async () => {
    const response = await call(`Bearer ${CRON_SECRET}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ deleted: 3, remaining: 0, dryRun: false });
  });
});

describe.sequential("npm run cleanup", () => {
  it("prints a line per batch and a summary, and exits non-zero on bad input", async () => {
    const user = await createUser();
    await seedKeys(user.id, "expired", 5);
    const env = { ...process.env, LOG_LEVEL: "silent" };
    const dry = await run("npm", ["run", "--silent", "cleanup", "--", "--dry-run"], { env });
    expect(dry.stdout).toContain("dry run: would delete 5; expired keys remaining: 5");

    const real = await run("npm", ["run", "--silent", "cleanup", "--", "--batch-size", "2"], { env });
    expect(real.stdout.split("\n").filter((l) => l.startsWith("batch "))).toEqual([
      expect.stringMatching(/^batch 1: deleted 2 \(total 2\) in \d+ ms$/),
      expect.stringMatching(/^batch 2: deleted 2 \(total 4\) in \d+ ms$/),
      expect.stringMatching(/^batch 3: deleted 1 \(total 5\) in \d+ ms$/),
    ]);
    expect(real.stdout).toMatch(/deleted 5; expired keys remaining: 0; batches: 3; duration: \d+ ms/);

    for (const [flags, message] of [
      [["--batch-size", "0"], "--batch-size must be a positive integer"],
      [["--max-duty", "0"], "--max-duty must be a percentage in (0, 100]"],
    ] as const) {
      const bad = await run("npm", ["run", "--silent", "cleanup", "--", ...flags], { env }).catch((e: { code: number; stderr: string }) => e);
      expect(bad).toMatchObject({ code: 1 });
      expect((bad as { stderr: string }).stderr).toContain(message);
    }
  });
});
