import { describe, expect, it } from "vitest";
import { json, problem, scriptedSeams, type SentRequest, type Step } from "../../../tests/helpers/browser-seams";
import { keyedRequest, type KeyedAnswer, type Verdict } from "./keyed-request";

type Created = { kind: "created"; id: string; replayed: boolean };


/** A request's own rules: its 201 carries `{id}`, and a body without one was cut off. */
function createdVerdict({ status, body, replayed }: KeyedAnswer): Verdict<Created> | undefined {
  if (status !== 201) return undefined;
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === "string" ? { done: { kind: "created", id, replayed } } : { retry: "network" };
}

/** Runs keyedRequest against scripted answers; records every request, every wait and every answer classified. */
async function run(steps: Step[], maxAttempts?: number) {
  const { requests, sleeps, attempts, seams } = scriptedSeams(steps);
  const answers: KeyedAnswer[] = [];
  const outcome = await keyedRequest({
    key: "key-1",
    // A made-up body at a real path: this tests the retry rules, not the API's.
    send: (api, header) => api.POST("/api/payments", { params: { header }, body: { amount: 700, note: "ü" } as never }),
    subject: "thing",
    classify: (answer) => {
      answers.push(answer);
      return createdVerdict(answer);
    },
    maxAttempts,
    ...seams,
  });
  return { outcome, requests, sleeps, attempts, answers };
}

const headersOf = (request: SentRequest) => request.init.headers;

describe("keyedRequest", () => {
  it("POSTs the JSON body with the key, asking to wait for a duplicate", async () => {
    const { outcome, requests } = await run([json(201, { id: "t1" })]);
    expect(outcome).toEqual({ kind: "created", id: "t1", replayed: false });
    expect(requests).toHaveLength(1);
    const [{ url, init }] = requests as [SentRequest];
    expect(url).toBe("/api/payments");
    expect(init).toMatchObject({ method: "POST", credentials: "same-origin", cache: "no-store" });
    expect(init.body).toBe('{"amount":700,"note":"ü"}');
    expect(headersOf(requests[0]!)).toMatchObject({ "content-type": "application/json", "idempotency-key": "key-1", prefer: "wait=5" });
  });

  it("retries a network error, a request in progress and an unavailable service with the same key and body, honouring Retry-After", async () => {
    const { outcome, requests, sleeps, attempts } = await run([
      new TypeError("Failed to fetch"),
      problem(409, "idempotency_request_in_progress", "still running", {}, { "Retry-After": "3" }),
      problem(503, "service_unavailable", "database down", {}, { "Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT" }),
      problem(500, "internal_error", "bug"),
      json(201, { id: "t1" }, { "Idempotent-Replayed": "true" }),
    ]);
    expect(outcome).toEqual({ kind: "created", id: "t1", replayed: true });
    expect(requests.map((request) => headersOf(request)["idempotency-key"])).toEqual(["key-1", "key-1", "key-1", "key-1", "key-1"]);
    expect(new Set(requests.map((request) => request.init.body)).size).toBe(1);
    // Backoff 0.5 s, 1 s, 2 s, 4 s; a Retry-After longer than the backoff wins, a date in the past does not.
    expect(sleeps).toEqual([500, 3_000, 2_000, 4_000]);
    expect(attempts).toEqual([
      [1, null],
      [2, "network"],
      [3, "in_progress"],
      [4, "unavailable"],
      [5, "unavailable"],
    ]);
  });

  it("hands the request's own rules the status, the body, the replay flag and a known problem", async () => {
    const { answers } = await run([problem(409, "idempotency_request_in_progress", "wait", {}, { "Idempotent-Replayed": "true" }), json(201, { id: "t1" })]);
    expect(answers[0]).toMatchObject({ status: 409, replayed: true, problem: { code: "idempotency_request_in_progress", detail: "wait" } });
    expect(answers[1]).toEqual({ status: 201, body: { id: "t1" }, replayed: false, problem: null });
  });

  it("retries when the request's rules ask: a 201 whose body was cut off gets the replay", async () => {
    const { outcome, requests } = await run([new Response('{"id":"t', { status: 201 }), json(201, { id: "t1" }, { "Idempotent-Replayed": "true" })]);
    expect(outcome).toEqual({ kind: "created", id: "t1", replayed: true });
    expect(requests).toHaveLength(2);
  });

  it.each([
    [400, "invalid_request"],
    [401, "unauthorized"],
    [404, "not_found"],
    [422, "idempotency_key_reused"],
    [429, "rate_limited"],
    [500, "outcome_not_recorded"],
  ])("does not retry %i %s: a final refusal with the problem's detail", async (status, code) => {
    const { outcome, requests, sleeps } = await run([problem(status, code, `detail of ${code}`)]);
    expect(outcome).toEqual({ kind: "rejected", status, code, message: `detail of ${code}` });
    expect(requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("reads an answer that is not one of the API's problems by its status", async () => {
    const html = await run([new Response("<html>Forbidden</html>", { status: 403 })]);
    expect(html.outcome).toEqual({ kind: "rejected", status: 403, code: null, message: "The request failed (HTTP 403)." });
    expect(html.answers[0]).toMatchObject({ body: null, problem: null });

    const later = await run([problem(503, "maintenance_window", "back soon"), new Response(null, { status: 409 }), problem(418, "teapot", "short and stout")]);
    expect(later.outcome).toEqual({ kind: "rejected", status: 418, code: null, message: "short and stout" });
    expect(later.attempts.map(([, reason]) => reason)).toEqual([null, "unavailable", "in_progress"]);
  });

  it("treats a problem document missing its members as no problem at all", async () => {
    for (const body of [{ code: "invalid_request" }, ["not", "a", "problem"], "invalid_request"]) {
      const { outcome } = await run([json(400, body)]);
      expect(outcome).toEqual({ kind: "rejected", status: 400, code: null, message: "The request failed (HTTP 400)." });
    }
  });

  it("gives up after the last attempt, saying why and naming what it sent", async () => {
    const network = await run([new TypeError("x"), new TypeError("x"), new TypeError("x")], 3);
    expect(network.outcome).toEqual({ kind: "unanswered", reason: "network", message: "We could not reach the server." });
    expect(network.sleeps).toEqual([500, 1_000]);

    const busy = await run([problem(409, "idempotency_request_in_progress", "busy"), problem(409, "idempotency_request_in_progress", "busy")], 2);
    expect(busy.outcome).toEqual({ kind: "unanswered", reason: "in_progress", message: "The thing is still being processed." });

    const down = await run([new Response("Bad gateway", { status: 502 })], 1);
    expect(down.outcome).toEqual({ kind: "unanswered", reason: "unavailable", message: "The payment service is unavailable right now." });
  });
});
