import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { paymentPath } from "@/lib/routes";
import { paymentResponseSchema } from "@/lib/schemas/payment-response";
import { db } from "@/server/db";
import { customer, list, pay, show, VALID_PAYMENT } from "../helpers/payments-api";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";

const stripe = startStripeEmulatorForFile();

const keyRow = (userId: string, key: string) => db().idempotencyKey.findUnique({ where: { userId_key: { userId, key } } });
const intentsOf = (userId: string) => stripe.emulator.paymentIntents({ metadata: { user_id: userId } });

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = await response.json();
  expect(body).toMatchObject({ status, code, type: `/docs/errors#${code}` });
  expect(typeof body.title).toBe("string");
  expect(typeof body.detail).toBe("string");
  expect(body.requestId).toBe(response.headers.get("x-request-id"));
  return body;
}

describe("POST /api/payments — identity and headers", () => {
  it("refuses an unauthenticated request with 401 and calls nothing", async () => {
    const response = await pay(null);
    await expectProblem(response, 401, "unauthorized");
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(stripe.emulator.stats().paymentIntents).toBe(0);
  });

  it("requires an Idempotency-Key", async () => {
    const alice = await customer();
    await expectProblem(await pay(alice, { key: null }), 400, "idempotency_key_missing");
    expect(intentsOf(alice.id)).toHaveLength(0);
  });

  it.each([
    ["empty", ""],
    ["blank", "   "],
    ["too long", "k".repeat(256)],
    ["non-ASCII", "clé-ünïcode"],
    ["control character", "key\twith-tab"],
    ["unbalanced quote", '"half-quoted'],
  ])("rejects a malformed key (%s) with 400 idempotency_key_invalid", async (_label, key) => {
    const alice = await customer();
    await expectProblem(await pay(alice, { key }), 400, "idempotency_key_invalid");
    expect(await db().idempotencyKey.count({ where: { userId: alice.id } })).toBe(0);
  });

  it("accepts a 255-character key and a quoted key, which is the same key unquoted", async () => {
    const alice = await customer();
    expect((await pay(alice, { key: "k".repeat(255) })).status).toBe(201);
    const first = await pay(alice, { key: '"order-42"' });
    expect(first.status).toBe(201);
    const second = await pay(alice, { key: "order-42" });
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await second.text()).toBe(await first.text());
  });
  it.each([
    ["two header lines", ["order-1", "order-2"]],
    ["the same key on two header lines", ["order-1", "order-1"]],
    ["a key and an empty second line", ["order-1", ""]],
    ["an unquoted and a quoted line", ["order-1", '"order-2"']],
    ["a quoted and an unquoted line", ['"order-1"', "order-2"]],
    ["a comma-separated list in one line", ["order-1, order-2"]],
    ["two quoted keys in one line", ['"order-1", "order-2"']],
  ])("refuses more than one key (%s) with 400, leaving no key row and charging nothing", async (_label, lines) => {
    const alice = await customer();
    const [rowsBefore, intentsBefore] = [await db().idempotencyKey.count(), stripe.emulator.stats().paymentIntents];
    const body = await expectProblem(await pay(alice, { key: lines }), 400, "idempotency_key_invalid");
    expect(body.detail).toContain("a single key");
    expect(await db().idempotencyKey.count()).toBe(rowsBefore);
    expect(stripe.emulator.stats().paymentIntents).toBe(intentsBefore);
  });

  it("after refusing two key lines, each key alone is a new payment; a comma inside one quoted key is one key", async () => {
    const alice = await customer();
    await expectProblem(await pay(alice, { key: ["order-1", "order-2"] }), 400, "idempotency_key_invalid");
    for (const key of ["order-1", "order-2"]) {
      const alone = await pay(alice, { key });
      expect(alone.status).toBe(201);
      expect(alone.headers.get("idempotent-replayed")).toBeNull();
    }
    expect((await pay(alice, { key: '"order-1,order-2"' })).status).toBe(201);
    expect(await keyRow(alice.id, "order-1,order-2")).not.toBeNull();
    expect(intentsOf(alice.id)).toHaveLength(3);
  });
});

describe("POST /api/payments — body validation", () => {
  it("answers 400 invalid_request with field errors, stores nothing, and lets the same key be retried", async () => {
    const alice = await customer();
    const key = randomUUID();
    const response = await pay(alice, { key, body: { amount: 10, currency: "xyz", paymentMethod: "visa", extra: 1 } });
    const body = await expectProblem(response, 400, "invalid_request");
    const paths = body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["currency", "paymentMethod"]));
    expect(await keyRow(alice.id, key)).toBeNull();

    const fixed = await pay(alice, { key, body: VALID_PAYMENT });
    expect(fixed.status).toBe(201);
  });

  it("enforces the currency's Stripe minimum and our maximum", async () => {
    const alice = await customer();
    const tooSmall = await expectProblem(await pay(alice, { body: { ...VALID_PAYMENT, currency: "gbp", amount: 29 } }), 400, "invalid_request");
    expect(tooSmall.detail).toContain("at least 30");
    await expectProblem(await pay(alice, { body: { ...VALID_PAYMENT, amount: 1_000_001 } }), 400, "invalid_request");
    await expectProblem(await pay(alice, { body: { ...VALID_PAYMENT, amount: 25.5 } }), 400, "invalid_request");
    expect((await pay(alice, { body: { ...VALID_PAYMENT, currency: "gbp", amount: 30 } })).status).toBe(201);
  });

  it("answers 400 invalid_json, 415 for another content type, 413 for a huge body", async () => {
    const alice = await customer();
    await expectProblem(await pay(alice, { rawBody: "{not json" }), 400, "invalid_json");
    await expectProblem(await pay(alice, { headers: { "Content-Type": "text/plain" } }), 415, "unsupported_media_type");
    await expectProblem(await pay(alice, { rawBody: JSON.stringify({ ...VALID_PAYMENT, description: "x".repeat(20_000) }) }), 413, "payload_too_large");
    expect(await db().idempotencyKey.count({ where: { userId: alice.id } })).toBe(0);
  });
});

describe("POST /api/payments — text fields", () => {
  const CONTROL = "description must not contain control characters";

  it("refuses a NUL in the description before the key is claimed: nothing charged, no key row, then the same key succeeds", async () => {
    const alice = await customer();
    const key = randomUUID();
    const [rowsBefore, intentsBefore] = [await db().idempotencyKey.count(), stripe.emulator.stats().paymentIntents];

    const refused = await pay(alice, { key, body: { ...VALID_PAYMENT, description: "invoice\u0000 42" } });
    const problem = await expectProblem(refused, 400, "invalid_request");
    expect(problem.errors).toEqual([{ path: "description", message: CONTROL }]);
    expect(await db().idempotencyKey.count()).toBe(rowsBefore);
    expect(await keyRow(alice.id, key)).toBeNull();
    expect(stripe.emulator.stats().paymentIntents).toBe(intentsBefore);

    const fixed = await pay(alice, { key, body: { ...VALID_PAYMENT, description: "invoice 42" } });
    expect(fixed.status).toBe(201);
    expect(fixed.headers.get("idempotent-replayed")).toBeNull();
    expect((await fixed.json()).description).toBe("invoice 42");
    expect(await db().idempotencyKey.count()).toBe(rowsBefore + 1);
    expect(await keyRow(alice.id, key)).toMatchObject({ responseStatus: 201 });
    expect(stripe.emulator.stats().paymentIntents).toBe(intentsBefore + 1);
  });

  it("refuses a lone surrogate sent as a JSON escape, which JSON.parse turns back into one", async () => {
    const alice = await customer();
    const key = randomUUID();
    const rawBody = '{"amount":2500,"currency":"eur","paymentMethod":"pm_card_visa","description":"Order \\ud800 42"}';
    // What JSON.stringify writes for a lone surrogate (ES2019): the escape, not U+FFFD.
    expect(JSON.stringify({ ...VALID_PAYMENT, description: "Order \ud800 42" })).toBe(rawBody);

    const problem = await expectProblem(await pay(alice, { key, rawBody }), 400, "invalid_request");
    expect(problem.errors).toEqual([
      { path: "description", message: "description must be valid Unicode (it contains an unpaired surrogate)" },
    ]);
    expect(await keyRow(alice.id, key)).toBeNull();
    expect(intentsOf(alice.id)).toHaveLength(0);
    expect((await pay(alice, { key, body: { ...VALID_PAYMENT, description: "Order 42" } })).status).toBe(201);
  });

  it.each([
    ["an ANSI escape", "\u001b[31mred", CONTROL],
    ["a C1 control", "Order\u0085 42", CONTROL],
    ["a non-character", "Order \ufffe42", "description must not contain Unicode non-characters (such as U+FFFE)"],
    ["a bidi override", "invoice\u202efdp.exe", "description must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069)"],
    ["a newline", "Order\n42", "description must be a single line: no line breaks or tabs"],
    ["a line separator", "Order\u202842", "description must be a single line: no line breaks or tabs"],
  ])("refuses %s in the description with a field error, charging nothing", async (_label, description, message) => {
    const alice = await customer();
    const problem = await expectProblem(await pay(alice, { body: { ...VALID_PAYMENT, description } }), 400, "invalid_request");
    expect(problem.errors).toEqual([{ path: "description", message }]);
    expect(await db().idempotencyKey.count({ where: { userId: alice.id } })).toBe(0);
    expect(intentsOf(alice.id)).toHaveLength(0);
  });

  it("stores text of any script exactly as sent", async () => {
    const alice = await customer();
    const description = "Zahlung für Café ☕ — مرحبا — 支付 — Cafe\u0301 🚀 <script>";
    const payment = await (await pay(alice, { body: { ...VALID_PAYMENT, description } })).json();
    expect(payment.description).toBe(description);
    expect((await db().payment.findFirstOrThrow({ where: { id: payment.id } })).description).toBe(description);
  });

  it("refuses a list cursor with a NUL", async () => {
    const alice = await customer();
    const problem = await expectProblem(await list(alice, "?cursor=abc%00"), 400, "invalid_request");
    expect(problem.errors).toEqual([{ path: "cursor", message: "cursor must not contain control characters" }]);
  });
});

describe("POST /api/payments — first request", () => {
  it("creates and confirms a PaymentIntent: 201, Location, our resource, rows and Stripe metadata", async () => {
    const alice = await customer();
    const key = randomUUID();
    const response = await pay(alice, { key, body: { ...VALID_PAYMENT, description: "Order 42" } });
    expect(response.status).toBe(201);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("idempotent-replayed")).toBeNull();
    const payment = await response.json();
    expect(payment).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: "succeeded",
      amount: 2_500,
      currency: "eur",
      description: "Order 42",
      card: { brand: "visa", last4: "4242" },
      paymentIntentId: expect.stringMatching(/^pi_/),
      failureCode: null,
      amountRefunded: 0,
      amountRefundFailed: 0,
      dispute: null,
      createdAt: expect.any(String),
    });
    // Stored and replayed as text: the schema's field order is the order of its bytes.
    expect(Object.keys(payment)).toEqual(Object.keys(paymentResponseSchema.shape).filter((key) => key !== "clientSecret"));
    expect(response.headers.get("location")).toBe(paymentPath(payment.id));

    const row = await keyRow(alice.id, key);
    expect(row).toMatchObject({ recoveryPoint: "finished", responseStatus: 201, lockToken: null, lockedAt: null });
    expect(row!.requestHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.expiresAt.getTime() - row!.createdAt.getTime()).toBe(86_400_000);
    const stored = await db().payment.findFirstOrThrow({ where: { id: payment.id } });
    expect(stored).toMatchObject({ userId: alice.id, amount: 2_500, status: "succeeded", idempotencyKeyId: row!.id });

    const [intent, ...others] = intentsOf(alice.id);
    expect(others).toHaveLength(0);
    expect(intent).toMatchObject({ id: payment.paymentIntentId, status: "succeeded", amount: 2_500, currency: "eur" });
    // The Stripe key derives from our row, never the client's key (seeds/README.md defect 2).
    expect(intent!.metadata).toEqual({ payment_id: payment.id, idempotency_key_id: row!.id, user_id: alice.id });
  });

  it("stores a card decline as a final 402 card_declined and replays it", async () => {
    const alice = await customer();
    const key = randomUUID();
    const body = { ...VALID_PAYMENT, paymentMethod: "pm_card_chargeDeclined" };
    const first = await pay(alice, { key, body });
    const problem = await expectProblem(first.clone(), 402, "card_declined");
    expect(problem.declineCode).toBe("generic_decline");
    expect(problem.payment).toMatchObject({ status: "failed", failureCode: "generic_decline" });
    expect(await db().payment.findFirstOrThrow({ where: { id: problem.payment.id } })).toMatchObject({ status: "failed" });

    const again = await pay(alice, { key, body });
    expect(again.status).toBe(402);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.text()).toBe(await first.text());
    expect(intentsOf(alice.id)).toHaveLength(1);
  });

  it("returns requires_action with the client secret for a card that needs authentication", async () => {
    const alice = await customer();
    const response = await pay(alice, { body: { ...VALID_PAYMENT, paymentMethod: "pm_card_authenticationRequired" } });
    expect(response.status).toBe(201);
    const payment = await response.json();
    expect(payment.status).toBe("requires_action");
    expect(payment.clientSecret).toMatch(/^pi_.+_secret_/);
  });
});

describe("POST /api/payments — retries", () => {
  it("replays the stored answer byte for byte with Idempotent-Replayed, no Stripe call and no new rows", async () => {
    const alice = await customer();
    const key = randomUUID();
    const first = await pay(alice, { key });
    const requestsBefore = stripe.emulator.stats().requests;

    const replay = await pay(alice, { key });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("location")).toBe(first.headers.get("location"));
    expect(await replay.text()).toBe(await first.text());
    expect(stripe.emulator.stats().requests).toBe(requestsBefore);
    expect(await db().payment.count({ where: { userId: alice.id } })).toBe(1);
    expect(replay.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));
  });

  it("fingerprints the canonical body: key order does not matter", async () => {
    const alice = await customer();
    const key = randomUUID();
    await pay(alice, { key, rawBody: '{"amount":2500,"currency":"eur","paymentMethod":"pm_card_visa"}' });
    const reordered = await pay(alice, { key, rawBody: '{ "paymentMethod": "pm_card_visa", "currency": "eur", "amount": 2500 }' });
    expect(reordered.status).toBe(201);
    expect(reordered.headers.get("idempotent-replayed")).toBe("true");
  });

  it("answers 422 idempotency_key_reused for the same key with another body, calling nothing", async () => {
    const alice = await customer();
    const key = randomUUID();
    await pay(alice, { key });
    const requestsBefore = stripe.emulator.stats().requests;
    await expectProblem(await pay(alice, { key, body: { ...VALID_PAYMENT, amount: 9_999 } }), 422, "idempotency_key_reused");
    expect(stripe.emulator.stats().requests).toBe(requestsBefore);
    expect(intentsOf(alice.id)).toHaveLength(1);
  });

  it("scopes keys per user: the same key and body from two users are two payments", async () => {
    const [alice, bob] = [await customer(), await customer()];
    const key = "shared-key-1";
    const [a, b] = await Promise.all([pay(alice, { key }), pay(bob, { key })]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    const [pa, pb] = [await a.json(), await b.json()];
    expect(pa.id).not.toBe(pb.id);
    expect(pa.paymentIntentId).not.toBe(pb.paymentIntentId);
    expect(intentsOf(alice.id)).toHaveLength(1);
    expect(intentsOf(bob.id)).toHaveLength(1);
  });

  it("starts a new request once the key has expired (TTL)", async () => {
    const alice = await customer();
    const key = randomUUID();
    const first = await (await pay(alice, { key })).json();
    await db().idempotencyKey.update({
      where: { userId_key: { userId: alice.id, key } },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });
    const fresh = await pay(alice, { key, body: { ...VALID_PAYMENT, amount: 3_000 } });
    expect(fresh.status).toBe(201);
    expect(fresh.headers.get("idempotent-replayed")).toBeNull();
    const second = await fresh.json();
    expect(second.id).not.toBe(first.id);
    expect(second.paymentIntentId).not.toBe(first.paymentIntentId);
    // The first payment keeps its history; only the key row was replaced.
    expect(await db().payment.findFirstOrThrow({ where: { id: first.id } })).toMatchObject({ idempotencyKeyId: null });
    expect(await db().idempotencyKey.count({ where: { userId: alice.id, key } })).toBe(1);
  });
});

describe("POST /api/payments — concurrency", () => {
  it("answers 409 with Retry-After while the first request is in flight, then replays", async () => {
    const alice = await customer();
    const key = randomUUID();
    stripe.emulator.setFaults({ latencyMs: 800 });
    const first = pay(alice, { key });
    await waitForKey(alice.id, key);
    const duplicate = await pay(alice, { key });
    await expectProblem(duplicate, 409, "idempotency_request_in_progress");
    expect(duplicate.headers.get("retry-after")).toBe("1");
    expect((await first).status).toBe(201);
    expect((await pay(alice, { key })).headers.get("idempotent-replayed")).toBe("true");
  });

  it("with Prefer: wait, a duplicate waits for the first request and gets its replay", async () => {
    const alice = await customer();
    const key = randomUUID();
    stripe.emulator.setFaults({ latencyMs: 800 });
    const first = pay(alice, { key });
    await waitForKey(alice.id, key);
    const waited = await pay(alice, { key, headers: { Prefer: "wait=5" } });
    const original = await first;
    expect(waited.status).toBe(201);
    expect(waited.headers.get("idempotent-replayed")).toBe("true");
    expect(await waited.text()).toBe(await original.text());
  });

  it("with Prefer: wait too short, the duplicate still gets 409", async () => {
    const alice = await customer();
    const key = randomUUID();
    stripe.emulator.setFaults({ latencyMs: 1_700 });
    const first = pay(alice, { key });
    await waitForKey(alice.id, key);
    const started = Date.now();
    await expectProblem(await pay(alice, { key, headers: { Prefer: "wait=1" } }), 409, "idempotency_request_in_progress");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((await first).status).toBe(201);
  });

  it("50 parallel requests with one key create exactly one PaymentIntent and one Payment", async () => {
    const alice = await customer();
    const key = randomUUID();
    stripe.emulator.setFaults({ latencyMs: 300 });
    const responses = await Promise.all(Array.from({ length: 50 }, () => pay(alice, { key })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const bodies = new Set(await Promise.all(responses.filter((r) => r.status === 201).map((r) => r.text())));
    expect(bodies.size).toBe(1);
    expect(intentsOf(alice.id)).toHaveLength(1);
    expect(await db().payment.count({ where: { userId: alice.id } })).toBe(1);
  });
});

describe("GET /api/payments", () => {
  it("lists the caller's payments newest first, paginated, and never another user's", async () => {
    const [alice, bob] = [await customer(), await customer()];
    for (const amount of [1_000, 2_000, 3_000]) await pay(alice, { body: { ...VALID_PAYMENT, amount } });
    await pay(bob);

    const first = await list(alice, "?limit=2");
    expect(first.status).toBe(200);
    const page1 = await first.json();
    expect(page1.data.map((p: { amount: number }) => p.amount)).toEqual([3_000, 2_000]);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = await (await list(alice, `?limit=2&cursor=${page1.nextCursor}`)).json();
    expect(page2.data.map((p: { amount: number }) => p.amount)).toEqual([1_000]);
    expect(page2.nextCursor).toBeNull();

    await expectProblem(await list(alice, "?limit=0"), 400, "invalid_request");
    await expectProblem(await list(alice, "?cursor=garbage"), 400, "invalid_request");
  });

  it("shows one payment to its owner and 404 to anyone else", async () => {
    const [alice, bob] = [await customer(), await customer()];
    const payment = await (await pay(alice)).json();
    const mine = await show(alice, payment.id);
    expect(mine.status).toBe(200);
    expect(await mine.json()).toMatchObject({ id: payment.id, amount: 2_500, status: "succeeded" });
    await expectProblem(await show(bob, payment.id), 404, "not_found");
    await expectProblem(await show(alice, "not-a-uuid"), 404, "not_found");
  });
});

/** Resolves once the first request has claimed its key (so a duplicate will find it in flight). */
async function waitForKey(userId: string, key: string) {
  for (let i = 0; i < 200; i++) {
    if (await keyRow(userId, key)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("the first request never claimed its key");
}
