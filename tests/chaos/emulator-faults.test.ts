import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { Faults } from "../../tools/stripe-emulator";
import { chaosContext, chaosUser, type ChaosUser } from "./chaos-context";
import { emulator } from "./emulator-admin";
import { send, type HttpAnswer } from "./http-client";
import { paymentRequest, sendUntilFinal, VISA_PAYMENT } from "./payments-client";
import { sql } from "./sql";
import { trackScenario, type Tally } from "./summary";

/** Keys paid concurrently while a fault rate is set. */
const KEYS_UNDER_RATE = 10;
const MAX_ATTEMPTS = 10;
const RETRY_WINDOW_MS = 40_000;

/**
 * The Stripe client retries once by itself (STRIPE_MAX_NETWORK_RETRIES=1), so each
 * deterministic fault below is injected twice: the app then sees the failure, answers 503,
 * and the client's retry with the same key must end in 201 without a second PaymentIntent.
 */
describe("3. Stripe faults", () => {
  afterEach(async () => {
    await emulator.resetFaults();
  });

  it("latency beyond the client timeout: 503, then the retry gets Stripe's replay", async () => {
    const tally = trackScenario("3a. Stripe slower than the timeout");
    const user = chaosUser("faults-latency");
    await firstAttemptFails(tally, user, { latencyMs: chaosContext().stripeTimeoutMs + 600 }, { intentsAfterFirst: 1 });
  });

  it("500s (failNext, then errorRate): 503s, then every retry ends in 201", async () => {
    const tally = trackScenario("3b. Stripe 500s");
    const user = chaosUser("faults-errors");
    await firstAttemptFails(tally, user, { failNext: 2 }, { intentsAfterFirst: 0 });
    await emulator.setFaults({ errorRate: 0.5 });
    await payAndCheck(tally, user, keys(KEYS_UNDER_RATE));
  });

  it("connection dropped after processing (dropNext, then a rate): the retry gets Stripe's replay", async () => {
    const tally = trackScenario("3c. Stripe drops after processing");
    const user = chaosUser("faults-drops");
    await firstAttemptFails(tally, user, { dropNext: 2 }, { intentsAfterFirst: 1 });
    await emulator.setFaults({ dropAfterProcessRate: 0.5 });
    await payAndCheck(tally, user, keys(KEYS_UNDER_RATE));
  });

  it("answer held past the client timeout (hangNext): the retry gets Stripe's replay", async () => {
    const tally = trackScenario("3d. Stripe answer held past timeout");
    const user = chaosUser("faults-hangs");
    await firstAttemptFails(tally, user, { hangNext: 2, hangMs: chaosContext().stripeTimeoutMs + 3_000 }, { intentsAfterFirst: 1 });
  });
});

/**
 * The user's first key meets `faults` on its first attempt (503); then Stripe recovers and
 * the client retries until final. When Stripe processed the failed attempt (a drop, a hang,
 * a late answer), the retry must get that same PaymentIntent back, not a second one.
 */
async function firstAttemptFails(tally: Tally, user: ChaosUser, faults: Partial<Faults>, expected: { intentsAfterFirst: 0 | 1 }) {
  await emulator.setFaults(faults);
  const key = `fault-${randomUUID()}`;
  const first = await send(chaosContext().instances.a, paymentRequest(user.apiKey, key, VISA_PAYMENT));
  tally.count(first);
  expectProviderUnavailable(first);
  await emulator.resetFaults();
  // A late answer may be processed after the app gave up on it: wait for Stripe to finish.
  const intentsOfUser = async () => (await emulator.paymentIntents({ user_id: user.id })).map((intent) => intent.id);
  await expect.poll(intentsOfUser, { timeout: 10_000 }).toHaveLength(expected.intentsAfterFirst);
  const before = await intentsOfUser();
  const paid = await payAndCheck(tally, user, [key]);
  if (expected.intentsAfterFirst === 1) expect(paid).toEqual(before);
}

/**
 * Pays every key as a retrying client would, over both instances, all at once; then checks
 * that each ended in 201 with a PaymentIntent of its own, that the emulator holds no other
 * for this user, and that the database has one payment per PaymentIntent. Returns their ids.
 */
async function payAndCheck(tally: Tally, user: ChaosUser, keyList: string[]): Promise<string[]> {
  const { instances } = chaosContext();
  const deadline = Date.now() + RETRY_WINDOW_MS;
  const results = await Promise.all(
    keyList.map((key) =>
      sendUntilFinal({
        instances: [instances.a, instances.b],
        request: paymentRequest(user.apiKey, key, VISA_PAYMENT),
        maxAttempts: MAX_ATTEMPTS,
        deadline,
        onAnswer: (answer) => tally.count(answer),
      }),
    ),
  );
  const answers = results.flat();
  // Faults at Stripe are 503s with Retry-After; nothing else may fail.
  expect(answers.filter((answer) => ![201, 409, 503].includes(answer.status))).toEqual([]);
  answers.filter((answer) => answer.status === 503).forEach(expectProviderUnavailable);
  const finals = results.map((attempts) => attempts.at(-1)!);
  expect(finals.map((answer) => answer.status)).toEqual(keyList.map(() => 201));

  const paid = finals.map((answer) => (JSON.parse(answer.body) as { paymentIntentId: string }).paymentIntentId);
  expect(new Set(paid).size).toBe(keyList.length);
  tally.paymentIntentsExpected += keyList.length;
  const intents = await emulator.paymentIntents({ user_id: user.id });
  tally.paymentIntentsCreated = intents.length;
  expect(intents).toHaveLength(tally.paymentIntentsExpected);
  expect(intents.map((intent) => intent.id)).toEqual(expect.arrayContaining(paid));
  const [{ payments }] = (await sql<{ payments: number }>("SELECT count(*)::int AS payments FROM payments WHERE user_id = $1", [
    user.id,
  ])) as [{ payments: number }];
  expect(payments).toBe(tally.paymentIntentsExpected);
  return paid;
}

function expectProviderUnavailable(answer: HttpAnswer) {
  expect(answer.status).toBe(503);
  expect(answer.headers["content-type"]).toBe("application/problem+json");
  expect(answer.headers["retry-after"]).toMatch(/^\d+$/);
  expect(JSON.parse(answer.body)).toMatchObject({ code: "payment_provider_unavailable" });
}

function keys(count: number): string[] {
  return Array.from({ length: count }, () => `fault-${randomUUID()}`);
}
