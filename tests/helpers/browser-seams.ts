import type { RetryReason } from "@/lib/checkout/keyed-request";

/**
 * Stand-ins for what a browser gives the checkout's code, for its unit tests: answers for
 * fetch, and sessionStorage in memory.
 */

/** A request as the tests read it: path and query, method, headers by lower-case name, body text. */
export type SentRequest = { url: string; init: { method: string; headers: Record<string, string>; body: string | null; credentials: RequestCredentials; cache: RequestCache } };

/** A scripted answer: a Response, or an Error for a connection that failed. */
export type Step = Response | Error;

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json", ...headers },
  });

/** One of the API's problem+json answers. */
export const problem = (status: number, code: string, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  json(status, { type: `/docs/errors#${code}`, title: code, status, detail, code, requestId: "req_1", ...extra }, headers);

/**
 * The seams of a keyed request (keyed-request.ts's RetryOptions), answering from `steps` in
 * order, with no jitter and no real waiting; records every request, wait and attempt.
 */
export function scriptedSeams(steps: Step[]) {
  const requests: SentRequest[] = [];
  const sleeps: number[] = [];
  const attempts: Array<[number, RetryReason | null]> = [];
  const seams = {
    random: () => 0,
    sleep: async (ms: number) => void sleeps.push(ms),
    onAttempt: (attempt: number, retrying: RetryReason | null) => void attempts.push([attempt, retrying]),
    // What the typed client (client/, openapi-fetch) calls: one Request.
    fetch: async (request: Request) => {
      requests.push(await sent(request));
      const step = steps.shift();
      if (!step) throw new Error("no more scripted answers");
      if (step instanceof Error) throw step;
      return step;
    },
  };
  return { requests, sleeps, attempts, seams };
}

async function sent(request: Request): Promise<SentRequest> {
  const url = new URL(request.url);
  const { method, credentials, cache } = request;
  const body = method === "GET" || method === "HEAD" ? null : await request.text();
  return { url: url.pathname + url.search, init: { method, headers: Object.fromEntries(request.headers), body, credentials, cache } };
}

/** The Idempotency-Key of each recorded request. */
export const keysOf = (requests: SentRequest[]) => requests.map((request) => request.init.headers["idempotency-key"]);

/** sessionStorage's contract, in memory. */
export function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}
