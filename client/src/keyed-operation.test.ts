import { describe, expect, it } from "vitest";
import { createPaymentsClient, keyedOperation, type KeyedOperationOptions } from "./index";

const body = { amount: 2_500, currency: "eur" as const, paymentMethod: "pm_card_visa" };

const answer = (status: number, json: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(json), {
    status,
    headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json", ...headers },
  });

const problem = (status: number, code: string, retry: string | undefined, headers: Record<string, string> = {}) =>
  answer(status, { type: `/docs/errors#${code}`, title: code, status, detail: code, code, ...(retry ? { retry } : {}), requestId: "req_1" }, headers);

/** A client whose fetch answers from `steps` (an Error is a dropped connection); records what was sent. */
function scripted(steps: Array<Response | Error>, options: KeyedOperationOptions = {}) {
  const sent: Request[] = [];
  const sleeps: number[] = [];
  const api = createPaymentsClient({
    baseUrl: "http://payments.test",
    fetch: async (request) => {
      sent.push(request);
      const step = steps.shift();
      if (!step || step instanceof Error) throw step ?? new Error("no more answers");
      return step;
    },
  });
  const run = () =>
    keyedOperation((header) => api.POST("/api/payments", { params: { header }, body }), {
      random: () => 0,
      sleep: async (ms) => void sleeps.push(ms),
      ...options,
    });
  return { run, sent, sleeps };
}

describe("keyedOperation", () => {
  it("owns the key: a new UUID, the same on every attempt, with Prefer: wait and the same body", async () => {
    const { run, sent } = scripted([new TypeError("offline"), problem(409, "idempotency_request_in_progress", "same_key"), answer(201, { id: "p1" })]);
    const outcome = await run();
    expect(outcome).toMatchObject({ kind: "answered", attempts: 3, answer: { status: 201, body: { id: "p1" }, replayed: false } });
    expect(outcome.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.map((request) => request.headers.get("Idempotency-Key"))).toEqual([outcome.key, outcome.key, outcome.key]);
    expect(new Set(sent.map((request) => request.headers.get("Prefer")))).toEqual(new Set(["wait=5"]));
    expect(new Set(await Promise.all(sent.map((request) => request.text())))).toEqual(new Set([JSON.stringify(body)]));
  });

  it("keeps a key it is given, so a reloaded page resumes the same operation", async () => {
    const { run, sent } = scripted([answer(201, { id: "p1" }, { "Idempotent-Replayed": "true" })], { key: "order-1001" });
    expect(await run()).toMatchObject({ kind: "answered", key: "order-1001", answer: { replayed: true } });
    expect(sent[0]!.headers.get("Idempotency-Key")).toBe("order-1001");
  });

  it("follows the problem's retry hint: same_key is retried honouring Retry-After, new_key and never end it", async () => {
    const retried = scripted([problem(503, "payment_provider_unavailable", "same_key", { "Retry-After": "3" }), problem(429, "rate_limited", "same_key"), answer(201, {})]);
    expect(await retried.run()).toMatchObject({ kind: "answered", attempts: 3 });
    expect(retried.sleeps).toEqual([3_000, 1_000]); // Retry-After over the 0.5 s backoff; then backoff

    for (const [status, code, retry] of [
      [402, "card_declined", "new_key"],
      [422, "idempotency_key_reused", "new_key"],
      [400, "invalid_request", "never"],
      [500, "outcome_not_recorded", "same_key"], // reconciled in minutes: retrying now changes nothing
    ] as const) {
      const final = scripted([problem(status, code, retry)]);
      expect(await final.run()).toMatchObject({ kind: "answered", attempts: 1, answer: { status, body: { code } } });
    }
  });

  it("trusts a hint from a code it does not know, and reads an answer without one by its status", async () => {
    const later = scripted([problem(503, "maintenance_window", "same_key"), problem(418, "teapot", "never")]);
    expect(await later.run()).toMatchObject({ kind: "answered", attempts: 2, answer: { status: 418 } });

    const proxy = scripted([new Response("<html>Bad gateway</html>", { status: 502 }), new Response(null, { status: 409 }), answer(201, { id: "p1" })]);
    expect(await proxy.run()).toMatchObject({ kind: "answered", attempts: 3 });
  });

  it("retries a 201 whose body was cut off: the same key gets it again", async () => {
    const { run } = scripted([new Response('{"id":"p', { status: 201 }), answer(201, { id: "p1" }, { "Idempotent-Replayed": "true" })]);
    expect(await run()).toMatchObject({ kind: "answered", attempts: 2, answer: { body: { id: "p1" }, replayed: true } });
  });

  it("reads Idempotency-Key-Expires", async () => {
    const { run } = scripted([answer(201, { id: "p1" }, { "Idempotency-Key-Expires": "Wed, 02 Dec 2026 10:00:00 GMT" })]);
    const outcome = await run();
    expect(outcome.kind === "answered" && outcome.answer.keyExpiresAt?.toISOString()).toBe("2026-12-02T10:00:00.000Z");
  });

  it("gives up after maxAttempts with the key and the reason, having waited with backoff", async () => {
    const { run, sleeps } = scripted([new TypeError("x"), new TypeError("x"), problem(409, "idempotency_request_in_progress", "same_key")], {
      key: "k",
      maxAttempts: 3,
    });
    expect(await run()).toEqual({ kind: "unanswered", key: "k", reason: "in_progress", attempts: 3 });
    expect(sleeps).toEqual([500, 1_000]);
  });
});
