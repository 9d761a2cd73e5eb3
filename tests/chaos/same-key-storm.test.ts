import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { chaosContext, chaosUser } from "./chaos-context";
import { emulator } from "./emulator-admin";
import { keepAliveAgent, send } from "./http-client";
import { paymentRequest, VISA_PAYMENT } from "./payments-client";
import { sql } from "./sql";
import { trackScenario } from "./summary";

const REQUESTS = 500;
/** Per instance: 100 concurrent sockets in all. */
const SOCKETS_PER_INSTANCE = 50;
/** Stripe answers this slowly, so the first request is still in flight while the storm lands. */
const STRIPE_LATENCY_MS = 300;

describe("1. same-key storm", () => {
  afterEach(async () => {
    await emulator.resetFaults();
  });

  it(`${REQUESTS} concurrent requests with one key over both instances: one PaymentIntent, one Payment, no 5xx`, async () => {
    const tally = trackScenario(`1. same-key storm (${REQUESTS} requests, 1 key)`);
    const user = chaosUser("storm");
    const { instances } = chaosContext();
    const key = `storm-${randomUUID()}`;
    await emulator.setFaults({ latencyMs: STRIPE_LATENCY_MS });

    const agents = [keepAliveAgent(SOCKETS_PER_INSTANCE), keepAliveAgent(SOCKETS_PER_INSTANCE)];
    const plan = Array.from({ length: REQUESTS }, (_, i) => ({
      instance: i % 2 === 0 ? instances.a : instances.b,
      agent: agents[i % 2]!,
      // A third of the clients would rather wait for the first request than get a 409.
      waits: i % 3 === 0,
    }));
    const answers = await Promise.all(
      plan.map(({ instance, agent, waits }) =>
        send(instance, paymentRequest(user.apiKey, key, VISA_PAYMENT, waits ? { Prefer: "wait=10" } : {}), agent),
      ),
    );
    agents.forEach((agent) => agent.destroy());
    answers.forEach((answer) => tally.count(answer));

    const byStatus = (status: number) => answers.filter((answer) => answer.status === status);
    expect(answers.filter((answer) => answer.status !== 201 && answer.status !== 409)).toEqual([]);
    const created = byStatus(201);
    expect(new Set(created.map((answer) => answer.body)).size).toBe(1); // the stored body, byte for byte
    expect(created.filter((answer) => answer.headers["idempotent-replayed"] !== "true")).toHaveLength(1);
    expect(new Set(created.map((answer) => answer.headers.location)).size).toBe(1);
    for (const conflict of byStatus(409)) {
      expect(conflict.headers["content-type"]).toBe("application/problem+json");
      expect(conflict.headers["retry-after"]).toMatch(/^\d+$/);
      expect(JSON.parse(conflict.body)).toMatchObject({ code: "idempotency_request_in_progress" });
    }
    // Every waiting client got the replay, not a 409.
    expect(plan.filter((step, i) => step.waits && answers[i]!.status !== 201)).toEqual([]);

    const payment = JSON.parse(created[0]!.body) as { id: string; paymentIntentId: string };
    const intents = await emulator.paymentIntents({ user_id: user.id });
    tally.paymentIntentsExpected = 1;
    tally.paymentIntentsCreated = intents.length;
    expect(intents.map((intent) => intent.id)).toEqual([payment.paymentIntentId]);
    const payments = await sql<{ id: string; stripe_payment_intent_id: string }>(
      "SELECT id::text, stripe_payment_intent_id FROM payments WHERE user_id = $1",
      [user.id],
    );
    expect(payments).toEqual([{ id: payment.id, stripe_payment_intent_id: payment.paymentIntentId }]);
    const keys = await sql("SELECT recovery_point::text, lock_token FROM idempotency_keys WHERE user_id = $1", [user.id]);
    expect(keys).toEqual([{ recovery_point: "finished", lock_token: null }]);
  });
});
