import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import type { Phase } from "@/server/idempotency/phase-hooks";
import { chaosContext, chaosUser, instanceUrls } from "./chaos-context";
import { instanceStatus, restartInstance } from "./control-client";
import { emulator } from "./emulator-admin";
import { send, type HttpAnswer } from "./http-client";
import { paymentRequest, VISA_PAYMENT, type PaymentBody } from "./payments-client";
import { sql } from "./sql";
import { trackScenario } from "./summary";

type CrashCase = {
  name: string;
  point: Phase;
  /** Its own user, so its PaymentIntents and rows are counted alone. */
  role: string;
  body: PaymentBody;
  /** Between the crash and the retry, the customer completes 3-D Secure at Stripe. */
  authenticates?: boolean;
};

const CRASHES: CrashCase[] = [
  { name: "after-claim", point: "after-claim", role: "crash-after-claim", body: VISA_PAYMENT },
  { name: "after-stripe-call", point: "after-stripe-call", role: "crash-after-stripe-call", body: VISA_PAYMENT },
  { name: "before-complete", point: "before-complete", role: "crash-before-complete", body: VISA_PAYMENT },
  // The re-drive gets Stripe's replay of the first answer (requires_action) after the webhook
  // has already recorded `succeeded`: the payment must not move backwards.
  {
    name: "after-stripe-call, 3-D Secure completed before the retry",
    point: "after-stripe-call",
    role: "crash-3ds",
    body: { ...VISA_PAYMENT, paymentMethod: "pm_card_authenticationRequired" },
    authenticates: true,
  },
];

/** What the first test of a case saw; its answers count towards the case's summary row. */
type Crash = { key: string; crashedAt: number; intentIdsBeforeRetry: string[]; answers: HttpAnswer[] };

/**
 * Instance A is restarted with CHAOS_CRASH_AT for each case in turn and killed by its own
 * request (the chaos build's phase hooks, crash-at-phase.ts); then each key is retried on
 * the other instances (B; B, C and D in turn through PgBouncer). The lock timeouts are
 * waited out together, so the file takes about one lock timeout rather than one per case.
 */
describe("2. crash points", () => {
  const crashes = new Map<string, Crash>();

  afterAll(async () => {
    // Leave A as the other files expect it, whatever happened here.
    if (!(await instanceStatus("a")).alive || crashes.size < CRASHES.length) await restartInstance("a");
  });

  it.each(CRASHES)("kill -9 $name: the client's connection dies, and B answers 409 while A's lock is fresh", async (crash) => {
    const user = chaosUser(crash.role);
    const { instances } = chaosContext();
    await restartInstance("a", { CHAOS_CRASH_AT: crash.point });

    const key = `crash-${randomUUID()}`;
    const request = paymentRequest(user.apiKey, key, crash.body);
    const lost = await send(instances.a, request);
    const crashedAt = Date.now();
    expect(lost.status).toBe(0); // no answer: the server died mid-request
    // The client sees the reset a moment before the parent sees the exit.
    await expect.poll(async () => (await instanceStatus("a")).alive, { timeout: 5_000 }).toBe(false);
    const status = await instanceStatus("a");
    expect(status.exit?.signal).toBe("SIGKILL");
    expect(status.logTail).toContain(`CHAOS_CRASH_AT=${crash.point}`);

    const conflict = await send(instances.b, request);
    expect(conflict.status).toBe(409);
    expect(conflict.headers["retry-after"]).toMatch(/^\d+$/);
    expect(JSON.parse(conflict.body)).toMatchObject({ code: "idempotency_request_in_progress" });

    // Before the Stripe call nothing reached Stripe; after it, exactly one PaymentIntent did.
    const intents = await emulator.paymentIntents({ user_id: user.id });
    expect(intents).toHaveLength(crash.point === "after-claim" ? 0 : 1);
    if (crash.authenticates) await emulator.authenticatePaymentIntent(intents[0]!.id, "succeed");
    crashes.set(crash.name, { key, crashedAt, intentIdsBeforeRetry: intents.map((intent) => intent.id), answers: [lost, conflict] });
  });

  it("restarts A without the hook", async () => {
    expect((await restartInstance("a")).alive).toBe(true);
  });

  it.each(CRASHES)(
    "$name: retried on the other instances, 409 until the lock times out, then 201 with the one PaymentIntent",
    async (crashCase) => {
      const tally = trackScenario(`2. crash ${crashCase.name}`);
      const crash = crashes.get(crashCase.name);
      if (!crash) throw new Error(`the ${crashCase.name} crash did not happen`);
      crash.answers.forEach((earlier) => tally.count(earlier));
      const user = chaosUser(crashCase.role);
      const { instances, lockTimeoutSeconds } = chaosContext();
      const survivors = instanceUrls().filter((url) => url !== instances.a);
      const request = paymentRequest(user.apiKey, crash.key, crashCase.body);

      // Poll once a second, as a client honouring Retry-After would, round the survivors; bounded.
      const deadline = crash.crashedAt + (lockTimeoutSeconds + 15) * 1000;
      let answer: HttpAnswer;
      for (let attempt = 0; ; attempt++) {
        answer = await send(survivors[attempt % survivors.length]!, request);
        tally.count(answer);
        if (answer.status !== 409 || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      expect(answer.status).toBe(201);
      // Taken over only once the dead owner's lock timed out (the database's clock; 1 s slack).
      expect(Date.now() - crash.crashedAt).toBeGreaterThanOrEqual((lockTimeoutSeconds - 1) * 1000);

      const payment = JSON.parse(answer.body) as { id: string; paymentIntentId: string };
      const intents = await emulator.paymentIntents({ user_id: user.id });
      tally.paymentIntentsExpected = 1;
      tally.paymentIntentsCreated = intents.length;
      expect(intents.map((intent) => intent.id)).toEqual([payment.paymentIntentId]);
      if (crashCase.point !== "after-claim") expect(crash.intentIdsBeforeRetry).toEqual([payment.paymentIntentId]);
      // The database ends where Stripe is (webhooks delivered), whatever order things came in.
      await emulator.flushWebhooks();
      const payments = await sql("SELECT id::text, stripe_payment_intent_id, status::text FROM payments WHERE user_id = $1", [user.id]);
      expect(payments).toEqual([{ id: payment.id, stripe_payment_intent_id: payment.paymentIntentId, status: intents[0]!.status }]);

      const replay = await send(instances.a, request);
      tally.count(replay);
      expect(replay.status).toBe(201);
      expect(replay.headers["idempotent-replayed"]).toBe("true");
      expect(replay.body).toBe(answer.body);
    },
    // The first of these waits out the lock timeout.
    60_000,
  );
});
