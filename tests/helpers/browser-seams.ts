import type { RetryReason } from "@/lib/checkout/keyed-request";

/**
 * Stand-ins for what a browser gives the checkout's code, for its unit tests: answers for
 * fetch, and sessionStorage in memory.
 */

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
  const requests: Array<{ url: string; init: RequestInit }> = [];
  const sleeps: number[] = [];
  const attempts: Array<[number, RetryReason | null]> = [];
  const seams = {
    random: () => 0,
    sleep: async (ms: number) => void sleeps.push(ms),
    onAttempt: (attempt: number, retrying: RetryReason | null) => void attempts.push([attempt, retrying]),
    fetch: async (url: RequestInfo | URL, init?: RequestInit) => {
      requests.push({ url: String(url), init: init ?? {} });
      const step = steps.shift();
      if (!step) throw new Error("no more scripted answers");
      if (step instanceof Error) throw step;
      return step;
    },
  };
  return { requests, sleeps, attempts, seams };
}

/** The Idempotency-Key of each recorded request. */
export const keysOf = (requests: Array<{ init: RequestInit }>) =>
  requests.map((request) => (request.init.headers as Record<string, string>)["Idempotency-Key"]);

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
