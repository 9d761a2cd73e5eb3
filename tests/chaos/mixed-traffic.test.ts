import { randomInt, randomUUID } from "node:crypto";
import type { Agent } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { PaymentIntent } from "../../tools/stripe-emulator";
import { chaosUser, instanceUrls, type ChaosUser } from "./chaos-context";
import { emulator } from "./emulator-admin";
import { keepAliveAgent, type HttpAnswer } from "./http-client";
import { paymentRequest, sendUntilFinal, type PaymentBody } from "./payments-client";
import { sql } from "./sql";
import { trackScenario, type Tally } from "./summary";

const USERS = 20;
/** New keys start during this long; their retries may run on for RETRY_GRACE_MS. */
const RUN_MS = 20_000;
const RETRY_GRACE_MS = 30_000;
/** No new key starts once this many requests were sent; a started key's retries still finish. */
const REQUEST_BUDGET = 2_500;
const MAX_ATTEMPTS = 15;
const CURRENCIES = ["usd", "eur", "gbp", "chf", "cad"];
/** Mostly successes, some declines (402, stored) and some 3-D Secure (requires_action). */
const METHODS = [...Array<string>(8).fill("pm_card_visa"), "pm_card_chargeDeclined", "pm_card_authenticationRequired"];
/** What the app stores for each PaymentIntent status this traffic ends in. */
const DB_STATUS_OF: Record<string, string> = {
  succeeded: "succeeded",
  requires_action: "requires_action",
  requires_payment_method: "failed", // declined: Stripe keeps the intent for another card
};

type KeyRun = { user: ChaosUser; key: string; body: PaymentBody; answers: HttpAnswer[] };

describe("5. mixed traffic", () => {
  afterEach(async () => {
    await emulator.resetFaults();
  });

  it(`${USERS} users retrying at random over ${instanceUrls().length} instances: one PaymentIntent per (user, key), and the database agrees with Stripe`, async () => {
    const tally = trackScenario(`5. mixed traffic (${USERS} users, ${RUN_MS / 1000} s)`);
    // A little of every Stripe fault, so retries really happen.
    await emulator.setFaults({ latencyMs: 20, errorRate: 0.03, dropAfterProcessRate: 0.03 });
    const runs: KeyRun[] = [];
    const budget = { remaining: REQUEST_BUDGET };
    const agent = keepAliveAgent(50);
    const startUntil = Date.now() + RUN_MS;
    const users = Array.from({ length: USERS }, (_, i) => chaosUser(`mixed-${i}`));
    await Promise.all(users.map((user) => customer(user, runs, budget, startUntil, tally, agent)));
    agent.destroy();
    await emulator.resetFaults();

    const answers = runs.flatMap((run) => run.answers);
    expect(answers.filter((answer) => ![201, 402, 409, 503].includes(answer.status))).toEqual([]);
    for (const run of runs) {
      const finals = run.answers.filter((answer) => answer.status === 201 || answer.status === 402);
      expect(finals.length, `key ${run.key} got no final answer`).toBeGreaterThan(0);
      expect(new Set(finals.map((answer) => answer.body)).size, `key ${run.key} got different answers`).toBe(1);
    }

    await emulator.flushWebhooks(); // let webhook deliveries settle the statuses
    const intents = (await Promise.all(users.map((user) => emulator.paymentIntents({ user_id: user.id })))).flat();
    tally.paymentIntentsExpected = runs.length;
    tally.paymentIntentsCreated = intents.length;
    const intentByPayment = new Map(intents.map((intent) => [intent.metadata.payment_id, intent]));
    expect(intentByPayment.size).toBe(intents.length); // no payment has two PaymentIntents
    expect(intents).toHaveLength(runs.length);

    const payments = await sql<{ id: string; user_id: string; amount: number; currency: string; status: string; stripe_payment_intent_id: string }>(
      `SELECT id::text, user_id::text, amount, currency, status::text, stripe_payment_intent_id FROM payments
       WHERE user_id = ANY($1::uuid[])`,
      [users.map((user) => user.id)],
    );
    expect(payments).toHaveLength(runs.length);
    const mismatches = payments.filter((payment) => !agrees(payment, intentByPayment.get(payment.id)));
    expect(mismatches).toEqual([]);
    for (const run of runs) {
      const body = JSON.parse(run.answers.find((answer) => answer.status === 201 || answer.status === 402)!.body) as
        | { id: string; paymentIntentId: string }
        | { payment: { id: string; paymentIntentId: string } };
      const payment = "payment" in body ? body.payment : body;
      expect(intentByPayment.get(payment.id)?.id).toBe(payment.paymentIntentId);
      expect(intentByPayment.get(payment.id)?.metadata.user_id).toBe(run.user.id);
    }
    const unfinished = await sql("SELECT key FROM idempotency_keys WHERE user_id = ANY($1::uuid[]) AND recovery_point <> 'finished'", [
      users.map((user) => user.id),
    ]);
    expect(unfinished).toEqual([]);
  });
});

/**
 * One customer: new payments one after another until the run ends or the budget is spent,
 * each sent once, or retried in sequence, or sent 2–4 times at once (a double click, a
 * retrying proxy), some copies asking to wait instead of getting 409.
 */
async function customer(
  user: ChaosUser,
  runs: KeyRun[],
  budget: { remaining: number },
  startUntil: number,
  tally: Tally,
  agent: Agent,
): Promise<void> {
  const instances = instanceUrls();
  while (Date.now() < startUntil && budget.remaining > 0) {
    const run: KeyRun = {
      user,
      key: `mixed-${randomUUID()}`,
      body: {
        amount: 50 + randomInt(100_000),
        currency: CURRENCIES[randomInt(CURRENCIES.length)]!,
        paymentMethod: METHODS[randomInt(METHODS.length)]!,
      },
      answers: [],
    };
    runs.push(run);
    const pattern = randomInt(3); // 0: once, 1: then retried in sequence, 2: concurrent copies
    const copies = pattern === 2 ? 2 + randomInt(3) : 1;
    const attempt = (copy: number, maxAttempts: number) =>
      sendUntilFinal({
        instances,
        request: paymentRequest(user.apiKey, run.key, run.body, copy % 2 === 1 ? { Prefer: "wait=3" } : {}),
        agent,
        maxAttempts,
        deadline: startUntil + RETRY_GRACE_MS,
        onAnswer: (answer) => {
          budget.remaining -= 1;
          run.answers.push(answer);
          tally.count(answer);
        },
      });
    await Promise.all(Array.from({ length: copies }, (_, copy) => attempt(copy, MAX_ATTEMPTS)));
    if (pattern === 1) {
      for (let retry = 1 + randomInt(3); retry > 0; retry--) await attempt(retry, MAX_ATTEMPTS);
    }
    await sleep(randomInt(50)); // think time
  }
}

function agrees(
  payment: { user_id: string; amount: number; currency: string; status: string; stripe_payment_intent_id: string },
  intent: PaymentIntent | undefined,
): boolean {
  return (
    intent !== undefined &&
    intent.id === payment.stripe_payment_intent_id &&
    intent.metadata.user_id === payment.user_id &&
    intent.amount === payment.amount &&
    intent.currency === payment.currency &&
    DB_STATUS_OF[intent.status] === payment.status
  );
}
