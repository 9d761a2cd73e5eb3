import { randomUUID } from "node:crypto";
import { Prisma } from "@prisma/client";
import { describe, expect, it } from "vitest";
import { db } from "@/server/db";
import { ApiError } from "@/server/http/api-error";
import { createUser } from "../../../tests/helpers/database";
import { memoryLog } from "../../../tests/helpers/memory-log";
import type { KeyRow } from "./key-store";
import type { Logger } from "@/server/logger";
import {
  classify,
  withIdempotency,
  type FinalOutcome,
  type IdempotencyOutcome,
  type KeyedRequest,
  type OperationContext,
} from "./with-idempotency";

// One test per state of a key and per transition, on the real PostgreSQL of this file. The
// operation here is a plain function standing for "call Stripe", so that each test controls
// exactly what it returns or throws; the payment and refund suites drive the same engine
// through the Stripe emulator.

const timings = { ttlSeconds: 3_600, lockTimeoutSeconds: 5 };

async function keyedRequest(body: unknown = { amount: 100 }): Promise<KeyedRequest> {
  const user = await createUser();
  return { userId: user.id, key: randomUUID(), method: "POST", path: "/api/payments", body };
}

/** A data-modifying CTE the complete statement runs: one marker row per key, or a refused insert. */
const marker = (keyRow: Prisma.Sql) =>
  Prisma.sql`INSERT INTO webhook_events (id, type) SELECT 'evt_' || ${keyRow}.id, 'marker' FROM ${keyRow} RETURNING id`;
const refused = (keyRow: Prisma.Sql) => Prisma.sql`INSERT INTO webhook_events (id, type) SELECT NULL, 'marker' FROM ${keyRow} RETURNING id`;

/** An operation that records its calls and answers 201 with the key id it was given. */
function operation(answer: Partial<FinalOutcome> = {}) {
  const calls: Pick<OperationContext, "keyId" | "recovered">[] = [];
  const run = async (ctx: OperationContext): Promise<FinalOutcome> => {
    calls.push({ keyId: ctx.keyId, recovered: ctx.recovered });
    return { status: 201, body: { id: ctx.keyId }, stripeObjectId: `pi_${ctx.keyId.slice(0, 8)}`, write: marker, ...answer };
  };
  return { calls, run };
}

const row = (request: KeyedRequest) =>
  db().idempotencyKey.findUnique({ where: { userId_key: { userId: request.userId, key: request.key } } });
/** The engine's answer, with the outcome it reported for the key (its one way of saying it). */
async function run(request: KeyedRequest, op: (ctx: OperationContext) => Promise<FinalOutcome>, extra: { waitSeconds?: number; log?: Logger } = {}) {
  const reported: IdempotencyOutcome[] = [];
  const answer = await withIdempotency(request, op, { timings, log: memoryLog().log, ...extra, onOutcome: (o) => reported.push(o) });
  expect(reported).toHaveLength(1);
  return { ...answer, outcome: reported[0] };
}
const age = (request: KeyedRequest, assignments: Prisma.Sql) =>
  db().$executeRaw(Prisma.sql`UPDATE idempotency_keys SET ${assignments} WHERE user_id = ${request.userId}::uuid AND key = ${request.key}`);
const rejection = (promise: Promise<unknown>) => promise.then(() => expect.fail("expected a refusal"), (error: unknown) => error as ApiError);

describe("classify", () => {
  const base: KeyRow = {
    id: randomUUID(),
    requestHash: "h",
    lockToken: null,
    recoveryPoint: "started",
    responseStatus: null,
    responseBody: null,
    stripeObjectId: null,
    stripeKeyGeneration: 0,
    createdAt: 0,
    inserted: false,
    expiresAt: new Date(0),
    expired: false,
    lockHeld: false,
    tooOldToRedrive: false,
    rateCount: null,
    rateRetryAfter: null,
  };
  const finished = { ...base, recoveryPoint: "finished" as const, responseStatus: 201, responseBody: "{}" };

  it.each<[string, KeyRow, string]>([
    ["a row this claim inserted", { ...base, inserted: true, lockToken: "t", lockHeld: true }, "new"],
    ["a finished row", finished, "replay"],
    ["a finished row of another request", { ...finished, requestHash: "other" }, "mismatch"],
    ["an unfinished row of another request", { ...base, requestHash: "other", lockHeld: true }, "mismatch"],
    ["a finished row past its TTL, whatever its request", { ...finished, requestHash: "other", expired: true }, "expired"],
    ["a row locked by a live request", { ...base, lockToken: "t", lockHeld: true }, "in_flight"],
    ["a released row", base, "redrivable"],
    ["a row whose owner died (stale lock)", { ...base, lockToken: "t" }, "redrivable"],
    ["an unfinished row past its TTL (it may have charged)", { ...base, expired: true }, "redrivable"],
    ["a flagged row", { ...base, recoveryPoint: "needs_reconciliation", stripeObjectId: "pi_1" }, "needs_reconciliation"],
    ["an unfinished row older than Stripe's key window", { ...base, tooOldToRedrive: true }, "needs_reconciliation"],
  ])("%s → %s", (_name, keyRow, state) => {
    expect(classify(keyRow, "h")).toBe(state);
  });
});

describe("new", () => {
  it("runs the operation once and records the answer, its Stripe object and its rows in one step", async () => {
    const request = await keyedRequest();
    const op = operation();
    const answer = await run(request, op.run);
    expect(op.calls).toEqual([{ keyId: expect.any(String), recovered: false }]);
    const keyId = op.calls[0]!.keyId;
    expect(answer).toEqual({ status: 201, body: JSON.stringify({ id: keyId }), replayed: false, expiresAt: expect.any(Date), outcome: "created" });
    // The key's TTL from the claim, as PostgreSQL counted it.
    expect(answer.expiresAt).toEqual((await row(request))!.expiresAt);
    expect(await row(request)).toMatchObject({ id: keyId, recoveryPoint: "finished", responseStatus: 201, stripeObjectId: `pi_${keyId.slice(0, 8)}`, lockToken: null });
    expect(await db().webhookEvent.count({ where: { id: `evt_${keyId}` } })).toBe(1);
  });
});

describe("replay", () => {
  it("answers the stored text without running anything", async () => {
    const request = await keyedRequest();
    const op = operation();
    const first = await run(request, op.run);
    const replay = await run(request, op.run);
    expect(op.calls).toHaveLength(1);
    expect(replay).toEqual({ status: 201, body: first.body, replayed: true, expiresAt: first.expiresAt, outcome: "replayed" });
  });
});

describe("mismatch", () => {
  it("refuses the key for another body with 422 and runs nothing", async () => {
    const request = await keyedRequest();
    const op = operation();
    await run(request, op.run);
    const error = await rejection(run({ ...request, body: { amount: 101 } }, op.run));
    expect(error).toMatchObject({ code: "idempotency_key_reused", status: 422 });
    expect(op.calls).toHaveLength(1);
  });
});

describe("in flight", () => {
  it("answers 409 with Retry-After while the first runs, and with Prefer: wait waits for its answer", async () => {
    const request = await keyedRequest();
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const slow = operation();
    const first = run(request, async (ctx) => {
      await gate;
      return slow.run(ctx);
    });
    await expect.poll(() => row(request)).not.toBeNull();

    const duplicate = operation();
    const error = await rejection(run(request, duplicate.run));
    expect(error).toMatchObject({ code: "idempotency_request_in_progress", status: 409, headers: { "Retry-After": "1" } });

    const waiting = run(request, duplicate.run, { waitSeconds: 5 });
    setTimeout(finish, 200);
    const [answer, waited] = await Promise.all([first, waiting]);
    expect(waited).toEqual({ ...answer, replayed: true, outcome: "replayed" });
    expect(duplicate.calls).toHaveLength(0);
  });
});

describe("expired", () => {
  it("replaces a finished key past its TTL by a new row and runs the new request", async () => {
    const request = await keyedRequest();
    const op = operation();
    await run(request, op.run);
    await age(request, Prisma.sql`expires_at = now() - interval '1 second'`);
    const answer = await run({ ...request, body: { amount: 500 } }, op.run);
    expect(answer.outcome).toBe("created");
    expect(op.calls).toHaveLength(2);
    expect(op.calls[1]!.keyId).not.toBe(op.calls[0]!.keyId); // a new row: a new Stripe key
    expect(await row(request)).toMatchObject({ id: op.calls[1]!.keyId, recoveryPoint: "finished" });
  });
});

describe("redrivable", () => {
  it("after a transient failure the key is released, and the retry re-drives the same row", async () => {
    const request = await keyedRequest();
    const failing = rejection(
      run(request, async () => {
        throw new ApiError("payment_provider_unavailable", "Stripe is down", { retryAfter: 2 });
      }),
    );
    expect(await failing).toMatchObject({ code: "payment_provider_unavailable" });
    const released = await row(request);
    expect(released).toMatchObject({ recoveryPoint: "started", lockToken: null });

    const op = operation();
    const answer = await run(request, op.run);
    expect(op.calls).toEqual([{ keyId: released!.id, recovered: true }]);
    expect(answer.outcome).toBe("recovered");
  });

  it("after its owner died, the key is taken over once the lock is stale", async () => {
    const request = await keyedRequest();
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    // The owner never comes back (a crash): its promise never settles.
    void run(request, async () => {
      started();
      return new Promise<FinalOutcome>(() => {});
    });
    await running;
    await age(request, Prisma.sql`locked_at = now() - interval '6 seconds'`);
    const op = operation();
    const answer = await run(request, op.run);
    expect(answer.outcome).toBe("recovered");
    expect(op.calls[0]).toMatchObject({ recovered: true });
  });
});

describe("needs reconciliation", () => {
  it("a flagged key is answered 500 outcome_not_recorded, naming the Stripe object, and runs nothing", async () => {
    const request = await keyedRequest();
    await rejection(run(request, operation({ write: refused, fallback: { body: {}, write: refused } }).run));
    const op = operation();
    const flagged = await row(request);
    for (let retry = 0; retry < 3; retry++) {
      const error = await rejection(run(request, op.run));
      expect(error).toMatchObject({ code: "outcome_not_recorded", status: 500, extensions: { stripeObjectId: flagged!.stripeObjectId } });
      expect(error.detail).toContain(flagged!.stripeObjectId);
    }
    expect(op.calls).toHaveLength(0);
  });

  it("an unfinished key older than Stripe's key window is not re-driven", async () => {
    const request = await keyedRequest();
    await rejection(
      run(request, async () => {
        throw new ApiError("payment_provider_unavailable");
      }),
    );
    await age(request, Prisma.sql`created_at = now() - interval '23 hours 1 minute'`);
    const op = operation();
    const error = await rejection(run(request, op.run));
    expect(error).toMatchObject({ code: "outcome_not_recorded", extensions: { stripeObjectId: null } });
    expect(op.calls).toHaveLength(0);
  });
});

describe("when the operation fails", () => {
  it("a refusal before any side effect forgets the key, so a corrected request may reuse it", async () => {
    const request = await keyedRequest();
    const error = await rejection(
      run(request, async () => {
        throw new ApiError("rate_limited", "slow down", { retryAfter: 10 });
      }),
    );
    expect(error.code).toBe("rate_limited");
    expect(await row(request)).toBeNull();
    expect((await run({ ...request, body: { amount: 7 } }, operation().run)).outcome).toBe("created");
  });

  it("a refusal on a re-drive flags the key: an earlier attempt may have got past it", async () => {
    const request = await keyedRequest();
    await rejection(
      run(request, async () => {
        throw new ApiError("payment_provider_unavailable");
      }),
    );
    const error = await rejection(
      run(request, async () => {
        throw new ApiError("invalid_request", "Stripe refused the replayed parameters");
      }),
    );
    expect(error.code).toBe("invalid_request");
    expect(await row(request)).toMatchObject({ recoveryPoint: "needs_reconciliation", lockToken: null });
  });

  it("an unexpected error flags the key and logs it at error level, instead of re-driving it for ever", async () => {
    const request = await keyedRequest();
    const { log, lines } = memoryLog();
    const bug = new TypeError("Cannot read properties of undefined");
    await expect(withIdempotency(request, async () => Promise.reject(bug), { timings, log })).rejects.toBe(bug);
    const flagged = await row(request);
    expect(flagged).toMatchObject({ recoveryPoint: "needs_reconciliation", lockToken: null, stripeObjectId: null });
    expect(lines).toEqual([expect.objectContaining({ level: 50, idempotencyKeyId: flagged!.id })]);
  });

  it("PostgreSQL unreachable inside the operation releases the key like any transient failure", async () => {
    const request = await keyedRequest();
    const unreachable = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    await expect(run(request, async () => Promise.reject(unreachable))).rejects.toBe(unreachable);
    expect(await row(request)).toMatchObject({ recoveryPoint: "started", lockToken: null });
  });
});

describe("recording (charged ⇒ recorded)", () => {
  it("a refused write is retried with the fallback built from Stripe's fields", async () => {
    const request = await keyedRequest();
    const { log, lines } = memoryLog();
    const op = operation({ write: refused, fallback: { body: { id: "from-stripe" }, write: marker } });
    const answer = await run(request, op.run, { log });
    expect(answer).toMatchObject({ status: 201, body: '{"id":"from-stripe"}', outcome: "created" });
    expect(await row(request)).toMatchObject({ recoveryPoint: "finished", responseBody: { id: "from-stripe" } });
    expect(lines.filter((l) => l.level === 50)).toHaveLength(1);
  });

  it("when the fallback is refused too, the key is flagged with the Stripe object and the answer names it", async () => {
    const request = await keyedRequest();
    const { log, lines } = memoryLog();
    const op = operation({ stripeObjectId: "pi_charged", write: refused, fallback: { body: {}, write: refused } });
    const error = await rejection(withIdempotency(request, op.run, { timings, log }));
    expect(error).toMatchObject({ code: "outcome_not_recorded", status: 500, extensions: { stripeObjectId: "pi_charged" } });
    expect(await row(request)).toMatchObject({ recoveryPoint: "needs_reconciliation", stripeObjectId: "pi_charged", lockToken: null });
    expect(lines.some((l) => l.level === 50 && String(l.msg).includes("pi_charged"))).toBe(true);
  });

  it("PostgreSQL unreachable at completion leaves the lock to go stale, as a crash would", async () => {
    const request = await keyedRequest();
    const unreachable = Object.assign(new Error("Connection terminated unexpectedly"), { code: "57P01" });
    const op = operation();
    // The operation itself breaks the database for its own completion: a one-shot trigger.
    const error = await rejection(
      run(request, async (ctx) => {
        await db().$executeRawUnsafe(`
          CREATE FUNCTION fail_${ctx.keyId.replaceAll("-", "")}() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION '${unreachable.message}' USING ERRCODE = '${unreachable.code}'; END $$`);
        await db().$executeRawUnsafe(
          `CREATE TRIGGER fail_${ctx.keyId.replaceAll("-", "")} BEFORE UPDATE ON idempotency_keys FOR EACH ROW
           WHEN (NEW.id = '${ctx.keyId}'::uuid AND NEW.recovery_point = 'finished') EXECUTE FUNCTION fail_${ctx.keyId.replaceAll("-", "")}()`,
        );
        return op.run(ctx);
      }),
    );
    expect(String(error)).toContain(unreachable.message);
    const left = await row(request);
    expect(left).toMatchObject({ recoveryPoint: "started" });
    expect(left!.lockToken).not.toBeNull();
    await db().$executeRawUnsafe(`DROP TRIGGER fail_${left!.id.replaceAll("-", "")} ON idempotency_keys`);
  });

  it("a completion fenced out by a takeover records nothing and reads the key again", async () => {
    const request = await keyedRequest();
    const op = operation();
    const error = await rejection(
      run(request, async (ctx) => {
        // Another instance takes the key over while this one talks to Stripe.
        await db().$executeRaw`UPDATE idempotency_keys SET lock_token = gen_random_uuid(), locked_at = now() WHERE id = ${ctx.keyId}::uuid`;
        return op.run(ctx);
      }),
    );
    expect(error.code).toBe("idempotency_request_in_progress");
    expect(await row(request)).toMatchObject({ recoveryPoint: "started", responseStatus: null });
    expect(await db().webhookEvent.count({ where: { id: `evt_${op.calls[0]!.keyId}` } })).toBe(0);
  });
});

describe("the derived Stripe key", () => {
  it("is kind/<row id>, the same on a re-drive, and kind/<row id>/<n> once retired (persisted on the row)", async () => {
    const request = await keyedRequest();
    const seen: string[] = [];
    const failOnce = async (ctx: OperationContext): Promise<FinalOutcome> => {
      seen.push(ctx.stripeKey("payment-intent"));
      throw new ApiError("payment_provider_unavailable");
    };
    await rejection(run(request, failOnce));
    await rejection(run(request, failOnce)); // a plain re-drive keeps the key: Stripe replays
    const retiring = async (ctx: OperationContext): Promise<FinalOutcome> => {
      seen.push(ctx.stripeKey("payment-intent"));
      await ctx.retireStripeKey(); // Stripe stored a 500 under it and holds nothing
      throw new ApiError("payment_provider_unavailable");
    };
    await rejection(run(request, retiring));
    const op = operation();
    const answer = await run(request, async (ctx) => {
      seen.push(ctx.stripeKey("payment-intent"), ctx.stripeKey("refund"));
      return op.run(ctx);
    });
    const id = (await row(request))!.id;
    expect(seen).toEqual([`payment-intent/${id}`, `payment-intent/${id}`, `payment-intent/${id}`, `payment-intent/${id}/1`, `refund/${id}/1`]);
    expect(answer.outcome).toBe("recovered");
    expect(await row(request)).toMatchObject({ stripeKeyGeneration: 1, recoveryPoint: "finished" });
  });

  it("starts again at generation 0 for a new row replacing an expired key", async () => {
    const request = await keyedRequest();
    await rejection(
      run(request, async (ctx) => {
        await ctx.retireStripeKey();
        throw new ApiError("payment_provider_unavailable");
      }),
    );
    await run(request, operation().run);
    await age(request, Prisma.sql`expires_at = now() - interval '1 second'`);
    let derived = "";
    await run(request, async (ctx) => {
      derived = ctx.stripeKey("payment-intent");
      return operation().run(ctx);
    });
    expect(derived).toBe(`payment-intent/${(await row(request))!.id}`);
  });
});

