import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { db } from "@/server/db";
import { isDatabaseUnavailable } from "@/server/http/database-unavailable";
import * as completion from "@/server/idempotency/complete-key";
import { freePort } from "../../scripts/lib/embedded-postgres";
import { customer, pay, VALID_PAYMENT } from "../helpers/payments-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";

// A crash between the Stripe call and completion is simulated by failing the completion
// statement once: the process "dies" holding the lock, as kill -9 would leave it.
vi.mock("@/server/idempotency/complete-key", async (importOriginal) => {
  const original = await importOriginal<typeof completion>();
  return { completeKey: vi.fn(original.completeKey) };
});

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
  afterEach(() => {
    vi.mocked(completion.completeKey).mockReset();
  });

  it("is recovered after the lock timeout by a retry, with the same PaymentIntent", async () => {
    const alice = await customer();
    const key = randomUUID();
    const { completeKey } = await vi.importActual<typeof completion>("@/server/idempotency/complete-key");
    vi.mocked(completion.completeKey).mockRejectedValueOnce(new Error("simulated crash")).mockImplementation(completeKey);

    const crashed = await pay(alice, { key });
    expect(crashed.status).toBe(500);
    expect(await crashed.json()).toMatchObject({ code: "internal_error", detail: "An unexpected error occurred." });
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
    expect(await keyRow(alice.id, key)).toMatchObject({ id: orphan.id, recoveryPoint: "finished", lockToken: null });
  });

  it("a completion fenced out by a takeover does not overwrite the new owner's result", async () => {
    const alice = await customer();
    const key = randomUUID();
    stripe.emulator.setFaults({ latencyMs: 600 });
    const { completeKey } = await vi.importActual<typeof completion>("@/server/idempotency/complete-key");
    let fenced: boolean | undefined;
    vi.mocked(completion.completeKey).mockImplementation(async (id, token, response, write) => {
      // Another instance took the lock over while this one was talking to Stripe.
      await db().$executeRaw`UPDATE idempotency_keys SET lock_token = gen_random_uuid() WHERE id = ${id}::uuid`;
      fenced = await completeKey(id, token, response, write);
      return fenced;
    });
    const answer = await pay(alice, { key });
    expect(fenced).toBe(false);
    // The fenced-out request does not claim success it could not record: it reports in progress.
    expect(answer.status).toBe(409);
    expect(await keyRow(alice.id, key)).toMatchObject({ recoveryPoint: "started", responseStatus: null });
    expect(await db().payment.count({ where: { userId: alice.id } })).toBe(0);
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
