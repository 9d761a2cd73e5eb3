import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { chaosContext, chaosUser, instanceNames, instanceUrls } from "./chaos-context";
import { instanceStatus, startPostgres, stopPostgres } from "./control-client";
import { emulator } from "./emulator-admin";
import { send, type HttpAnswer } from "./http-client";
import { paymentRequest, sendUntilFinal, VISA_PAYMENT } from "./payments-client";
import { sql } from "./sql";
import { trackScenario } from "./summary";

const IN_FLIGHT_KEYS = 20;
const KEYS_WHILE_DOWN = 10;
const DOWN_FOR_MS = 3_000;
/** Below STRIPE_TIMEOUT_MS: slow, not failed. */
const STRIPE_LATENCY_MS = 1_000;
/** Long enough for keys left locked by the outage to time out and be re-driven. */
const RETRY_WINDOW_MS = 60_000;

describe("4. PostgreSQL restarted mid-run", () => {
  afterAll(async () => {
    await emulator.resetFaults();
    await startPostgres(); // a no-op unless a failure left it stopped
  });

  it("answers 503 + Retry-After without calling Stripe while down, then recovers with no duplicate and no stuck key", async () => {
    const tally = trackScenario("4. PostgreSQL restart");
    const user = chaosUser("postgres");
    const { lockTimeoutSeconds } = chaosContext();
    const all = instanceUrls();
    const pay = (key: string) =>
      sendUntilFinal({
        instances: all,
        request: paymentRequest(user.apiKey, key, VISA_PAYMENT),
        maxAttempts: 60,
        deadline: Date.now() + RETRY_WINDOW_MS,
        onAnswer: (answer) => tally.count(answer),
      });

    // Clients mid-payment when the database goes: a slow Stripe holds them between claim and
    // completion, so their keys stay locked by owners that can neither complete nor release.
    await emulator.setFaults({ latencyMs: STRIPE_LATENCY_MS });
    const stripeRequestsAtStart = (await emulator.stats()).requests;
    const inFlightKeys = keys(IN_FLIGHT_KEYS);
    const inFlight = Promise.all(inFlightKeys.map(pay));
    await expect
      .poll(async () => (await emulator.stats()).requests - stripeRequestsAtStart, { timeout: 10_000, interval: 20 })
      .toBeGreaterThanOrEqual(IN_FLIGHT_KEYS / 2);
    await stopPostgres();

    await sleep(STRIPE_LATENCY_MS + 500); // the calls already at Stripe finish (and fail to complete)
    const stripeRequestsBefore = (await emulator.stats()).requests;
    const downKeys = keys(KEYS_WHILE_DOWN);
    const whileDown = await Promise.all(downKeys.map((key, i) => send(all[i % all.length]!, paymentRequest(user.apiKey, key, VISA_PAYMENT))));
    whileDown.forEach((answer) => tally.count(answer));
    whileDown.forEach(expectUnavailable);
    await sleep(DOWN_FOR_MS);
    // Not one Stripe call while the database was down, from these requests or the retrying ones.
    expect((await emulator.stats()).requests).toBe(stripeRequestsBefore);

    await startPostgres();
    const results = [...(await inFlight), ...(await Promise.all(downKeys.map(pay)))];
    const answers = results.flat();
    expect(answers.filter((answer) => ![201, 409, 503].includes(answer.status))).toEqual([]);
    answers.filter((answer) => answer.status === 503).forEach(expectUnavailable);
    const finals = results.map((attempts) => attempts.at(-1)!);
    expect(finals.map((answer) => answer.status)).toEqual(results.map(() => 201));
    for (const instance of instanceNames()) expect((await instanceStatus(instance)).alive).toBe(true);

    const paid = finals.map((answer) => (JSON.parse(answer.body) as { paymentIntentId: string }).paymentIntentId);
    const intents = await emulator.paymentIntents({ user_id: user.id });
    tally.paymentIntentsExpected = inFlightKeys.length + downKeys.length;
    tally.paymentIntentsCreated = intents.length;
    expect(new Set(paid).size).toBe(tally.paymentIntentsExpected);
    expect(intents.map((intent) => intent.id).sort()).toEqual([...paid].sort());
    const payments = await sql<{ stripe_payment_intent_id: string }>("SELECT stripe_payment_intent_id FROM payments WHERE user_id = $1", [
      user.id,
    ]);
    expect(payments.map((row) => row.stripe_payment_intent_id).sort()).toEqual([...paid].sort());

    // Locks the outage left behind were timed out and taken over, never left to rot.
    const stale = await sql<{ count: number }>(
      `SELECT count(*)::int AS count FROM idempotency_keys
       WHERE lock_token IS NOT NULL AND locked_at < now() - make_interval(secs => $1)`,
      [lockTimeoutSeconds],
    );
    expect(stale).toEqual([{ count: 0 }]);
    const unfinished = await sql("SELECT key FROM idempotency_keys WHERE user_id = $1 AND recovery_point <> 'finished'", [user.id]);
    expect(unfinished).toEqual([]);
  });
});

/** Database down: 503 problem+json with Retry-After; Stripe down would be the other code. */
function expectUnavailable(answer: HttpAnswer) {
  expect(answer.status).toBe(503);
  expect(answer.headers["content-type"]).toBe("application/problem+json");
  expect(answer.headers["retry-after"]).toMatch(/^\d+$/);
  expect(["service_unavailable", "payment_provider_unavailable"]).toContain((JSON.parse(answer.body) as { code: string }).code);
}

function keys(count: number): string[] {
  return Array.from({ length: count }, () => `pg-${randomUUID()}`);
}
