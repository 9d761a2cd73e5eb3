import { randomUUID } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { chaosContext, chaosUser } from "../chaos/chaos-context";
import { emulator } from "../chaos/emulator-admin";
import { send, sendRaw, type HttpAnswer } from "../chaos/http-client";
import { paymentRequest, VISA_PAYMENT } from "../chaos/payments-client";
import { sql } from "../chaos/sql";
import { appendSummaryRow, createTally } from "../chaos/summary";
import { openApiValidator } from "../helpers/openapi-validator";
import { corpusCases, type CorpusCase, type CorpusFixtures } from "./cases";

/**
 * The bad-input corpus (cases.ts) against the live production instances of the chaos run:
 * every case gets its documented answer — a 4xx problem+json whose requestId is the
 * X-Request-Id, never a 5xx — and writes nothing it should not (rows in every table the API
 * touches, PaymentIntents and refunds at the emulator, counted before and after each case) —
 * and every answer the app gives is one the OpenAPI document describes.
 */
const { instances, webhookSecret, revokedApiKey } = chaosContext();
const user = chaosUser("corpus");
const started = performance.now();
const tally = createTally();
let failures = 0;

// The emulator's webhooks would write webhook_events rows at their own pace: the corpus
// sends its own (forged) deliveries, and counts rows, with them off.
await emulator.flushWebhooks();
await emulator.setWebhook(null);
const cases = corpusCases(await fixtures());

afterEach(({ task }) => {
  if (task.result?.state === "fail") failures += 1;
});

afterAll(async () => {
  await emulator.setWebhook(`${instances.b}/api/webhooks/stripe`);
  appendSummaryRow(`corpus (${cases.length} cases)`, tally, performance.now() - started, failures === 0);
});

describe("bad-input corpus", () => {
  it("has at least 60 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c, i) => ({ ...c, instance: i % 2 === 0 ? instances.a : instances.b })))("$name", async (c) => {
    const before = await counts();
    const answer = "rawHead" in c.request ? await sendRaw(c.instance, c.request.rawHead) : await send(c.instance, c.request);
    tally.count(answer);

    expect(answer.status, answer.error ?? answer.body.slice(0, 500)).toBe(c.expect.status);
    if (c.expect.code !== null) expectProblem(answer, c.expect.code);
    if (answer.status === 401) expect(answer.headers["www-authenticate"]).toMatch(/^Bearer realm="payments"/);
    if (answer.status === 405) expect(answer.headers.allow).toMatch(/OPTIONS/);
    if (answer.status === 201) await expectStoredVerbatim(c, answer);
    if (c.expect.code !== null && "path" in c.request) expectDocumented(c.request.method ?? "GET", c.request.path, answer);

    const writes = c.expect.writes ?? { idempotencyKeys: 0, payments: 0, paymentIntents: 0 };
    expect(await counts()).toEqual({
      ...before,
      idempotencyKeys: before.idempotencyKeys + writes.idempotencyKeys,
      payments: before.payments + writes.payments,
      paymentIntents: before.paymentIntents + writes.paymentIntents,
    });
  });
});

/** Payments the cases refer to: one that succeeded, one declined, and another user's. */
async function fixtures(): Promise<CorpusFixtures> {
  const other = chaosUser("corpus-other");
  const pay = async (apiKey: string, paymentMethod: string, status: number) => {
    const answer = await send(instances.a, paymentRequest(apiKey, `fixture-${randomUUID()}`, { ...VISA_PAYMENT, paymentMethod }));
    if (answer.status !== status) throw new Error(`corpus fixture: expected ${status}, got ${answer.status} ${answer.body}`);
    const body = JSON.parse(answer.body) as { id: string } | { payment: { id: string } };
    return "payment" in body ? body.payment.id : body.id;
  };
  return {
    apiKey: user.apiKey,
    paymentId: await pay(user.apiKey, "pm_card_visa", 201),
    declinedPaymentId: await pay(user.apiKey, "pm_card_chargeDeclined", 402),
    otherUsersPaymentId: await pay(other.apiKey, "pm_card_visa", 201),
    revokedApiKey,
    webhookSecret,
  };
}

type Counts = {
  idempotencyKeys: number;
  payments: number;
  refunds: number;
  webhookEvents: number;
  users: number;
  apiKeys: number;
  revokedApiKeys: number;
  paymentIntents: number;
  stripeRefunds: number;
};

/** Everything a request could write: rows of every table the API touches, and Stripe objects. */
async function counts(): Promise<Counts> {
  const [rows] = await sql<Omit<Counts, "paymentIntents" | "stripeRefunds">>(`SELECT
    (SELECT count(*) FROM idempotency_keys)::int AS "idempotencyKeys",
    (SELECT count(*) FROM payments)::int AS "payments",
    (SELECT count(*) FROM refunds)::int AS "refunds",
    (SELECT count(*) FROM webhook_events)::int AS "webhookEvents",
    (SELECT count(*) FROM users)::int AS "users",
    (SELECT count(*) FROM api_keys)::int AS "apiKeys",
    (SELECT count(*) FROM api_keys WHERE revoked_at IS NOT NULL)::int AS "revokedApiKeys"`);
  const stats = await emulator.stats();
  if (!rows) throw new Error("the count query returned no row");
  return { ...rows, paymentIntents: stats.paymentIntents, stripeRefunds: stats.refunds };
}

function expectProblem(answer: HttpAnswer, code: string) {
  expect(answer.headers["content-type"]).toBe("application/problem+json");
  expect(answer.headers["x-request-id"]).toMatch(/^req_/);
  const problem = JSON.parse(answer.body) as Record<string, unknown>;
  expect(problem).toMatchObject({ type: `/docs/errors#${code}`, status: answer.status, code, requestId: answer.headers["x-request-id"] });
  expect(typeof problem.title).toBe("string");
  expect(typeof problem.detail).toBe("string");
}

/** The answer is one the OpenAPI document gives this operation: status, headers and body. */
function expectDocumented(method: string, path: string, answer: HttpAnswer) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined) headers.set(name, value);
  expect(openApiValidator().check(method, path, { status: answer.status, headers, body: answer.body })).toEqual([]);
}

/** A hostile value that is valid data comes back, and is stored, exactly as sent. */
async function expectStoredVerbatim(c: CorpusCase, answer: HttpAnswer) {
  const sent = "rawHead" in c.request ? {} : (JSON.parse(String(c.request.body)) as { description?: string });
  const payment = JSON.parse(answer.body) as { id: string; description: string | null };
  expect(payment.description).toBe(sent.description ?? null);
  const rows = await sql<{ description: string | null }>("SELECT description FROM payments WHERE id = $1", [payment.id]);
  expect(rows).toEqual([{ description: sent.description ?? null }]);
}
