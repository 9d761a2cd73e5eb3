import { randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { db } from "@/server/db";
import { isDatabaseUnavailable } from "@/server/http/database-unavailable";
import { freePort } from "../../scripts/lib/embedded-postgres";
import { crashAtCompletion } from "../helpers/db-faults";
import { customer, pay, VALID_PAYMENT } from "../helpers/payments-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";

const LOCK_TIMEOUT_SECONDS = 5;
const stripe = startStripeEmulatorForFile({ timeoutMs: 1_500, maxNetworkRetries: 0, lockTimeoutSeconds: LOCK_TIMEOUT_SECONDS });

const keyRow = (userId: string, key: string) => db().idempotencyKey.findUniqueOrThrow({ where: { userId_key: { userId, key } } });
const intentsOf = (userId: string) => stripe.emulator.paymentIntents({ metadata: { user_id: userId } });

async function expectUnavailable(response: Response) {
  expect(response.status).toBe(503);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(response.headers.get("retry-after")).toBe("2");
  expect(await response.json()).toMatchObject({ code: "payment_provider_unavailable", status: 503 });
}

describe("transient Stripe failures are answered 503, not stored, and safe to retry", () => {
  it.each([
    ["a 500 before processing", { failNext: 1 }, 0],
    // stripe-node retries a reset connection once by itself, so drop its retry too.
    ["a connection dropped after the charge was made", { dropNext: 2 }, 1],
    ["an answer slower than the client timeout", { hangNext: 1, hangMs: 3_000 }, 1],
  ])("%s", async (_label, faults, intentsAfterFailure) => {
    const alice = await customer();
    const key = randomUUID();
    stripe.emulator.setFaults(faults);

    await expectUnavailable(await pay(alice, { key }));
    const released = await keyRow(alice.id, key);
    expect(released).toMatchObject({ recoveryPoint: "started", lockToken: null, responseStatus: null, responseBody: null });
    expect(intentsOf(alice.id)).toHaveLength(intentsAfterFailure);

    stripe.emulator.resetFaults();
    const retry = await pay(alice, { key });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    const payment = await retry.json();
    // The retry re-drove the same row, hence the same Stripe key: one PaymentIntent only.
    const intents = intentsOf(alice.id);
    expect(intents).toHaveLength(1);
    expect(intents[0]!.id).toBe(payment.paymentIntentId);
    expect((await keyRow(alice.id, key)).id).toBe(released.id);
    expect(await db().payment.count({ where: { userId: alice.id } })).toBe(1);
  });
});

describe("the Stripe SDK's own retry", () => {
  it("recovers one dropped connection transparently, through Stripe's replay of our derived key", async () => {
    const alice = await customer();
    stripe.emulator.setFaults({ dropNext: 1 });
    const replaysBefore = stripe.emulator.stats().idempotentReplays;
    const response = await pay(alice);
    expect(response.status).toBe(201);
    expect(stripe.emulator.stats().idempotentReplays).toBe(replaysBefore + 1);
    expect(intentsOf(alice.id)).toHaveLength(1);
  });
});

describe("a crash after the Stripe call, before completion", () => {
  it("is recovered after the lock timeout by a retry, with the same PaymentIntent", async () => {
    const alice = await customer();
    const key = randomUUID();
    // PostgreSQL "goes away" on the completing statement, once: the request has charged and
    // is left holding the key's lock, as a kill -9 between the phases would leave it.
    const crash = await crashAtCompletion(alice.id, { times: 1 });
    try {
      const crashed = await pay(alice, { key });
      expect(crashed.status).toBe(503);
      expect(await crashed.json()).toMatchObject({ code: "service_unavailable" });
    } finally {
      await crash.remove();
    }
    const orphan = await keyRow(alice.id, key);
    expect(orphan.lockToken).not.toBeNull();
    const [charged] = intentsOf(alice.id);
    expect(charged?.status).toBe("succeeded");

    // Until the lock times out the owner may still be alive: the retry must wait.
    const early = await pay(alice, { key });
    expect(early.status).toBe(409);
    expect(early.headers.get("retry-after")).toBe("1");

    await db().$executeRaw`UPDATE idempotency_keys SET locked_at = now() - make_interval(secs => ${LOCK_TIMEOUT_SECONDS + 1}) WHERE id = ${orphan.id}::uuid`;
    const replaysBefore = stripe.emulator.stats().idempotentReplays;
    const recovered = await pay(alice, { key });
    expect(recovered.status).toBe(201);
    expect((await recovered.json()).paymentIntentId).toBe(charged!.id);
    expect(stripe.emulator.stats().idempotentReplays).toBe(replaysBefore + 1);
    expect(intentsOf(alice.id)).toHaveLength(1);
    expect(await keyRow(alice.id, key)).toMatchObject({ id: orphan.id, recoveryPoint: "finished", lockToken: null, stripeObjectId: charged!.id });
    expect(await db().payment.count({ where: { userId: alice.id } })).toBe(1);
  });

  it("a completion fenced out by a takeover does not overwrite the new owner's result", async () => {
    const alice = await customer();
    const key = randomUUID();
    stripe.emulator.setFaults({ latencyMs: 600 });
    const answer = pay(alice, { key });
    // Another instance takes the lock over while this one is talking to Stripe.
    await vi.waitFor(async () => expect(await db().idempotencyKey.count({ where: { userId: alice.id } })).toBe(1));
    await db().$executeRaw`UPDATE idempotency_keys SET lock_token = gen_random_uuid() WHERE user_id = ${alice.id}::uuid`;
    // The fenced-out request does not claim success it could not record: it reports in progress.
    expect((await answer).status).toBe(409);
    expect(await keyRow(alice.id, key)).toMatchObject({ recoveryPoint: "started", responseStatus: null });
    expect(await db().payment.count({ where: { userId: alice.id } })).toBe(0);
    expect(intentsOf(alice.id)).toHaveLength(1);
  });
});

describe("PostgreSQL unreachable", () => {
  it("answers 503 + Retry-After and never calls Stripe", async () => {
    const alice = await customer();
    const requestsBefore = stripe.emulator.stats().requests;
    vi.resetModules();
    const holder = globalThis as { prisma?: unknown };
    const live = holder.prisma;
    delete holder.prisma;
    const original = process.env.DATABASE_URL!;
    const dead = new URL(original);
    dead.port = String(await freePort());
    process.env.DATABASE_URL = dead.toString();
    try {
      const { POST } = await import("@/app/api/payments/route");
      const request = new Request("http://localhost/api/payments", {
        method: "POST",
        headers: { ...alice.headers, "Content-Type": "application/json", "Idempotency-Key": randomUUID() },
        body: JSON.stringify(VALID_PAYMENT),
      });
      const response = await POST(request, { params: Promise.resolve({}) });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("2");
      expect(await response.json()).toMatchObject({ code: "service_unavailable" });

      // And below authentication: the engine refuses to call Stripe without a claimed key.
      const { createPayment } = await import("@/server/payments/create-payment");
      const error = await createPayment(alice.id, randomUUID(), VALID_PAYMENT, { requestId: "req_test" }).catch((e: unknown) => e);
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect(stripe.emulator.stats().requests).toBe(requestsBefore);
    } finally {
      await (holder.prisma as { $disconnect(): Promise<void> } | undefined)?.$disconnect();
      holder.prisma = live;
      process.env.DATABASE_URL = original;
      vi.resetModules();
    }
  });
});
