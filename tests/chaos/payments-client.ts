import type { Agent } from "node:http";
import { send, type HttpAnswer, type HttpRequest } from "./http-client";

export type PaymentBody = { amount: number; currency: string; paymentMethod: string; description?: string };

export const VISA_PAYMENT: PaymentBody = { amount: 2_500, currency: "eur", paymentMethod: "pm_card_visa" };

/** POST /api/payments as an API client sends it. */
export function paymentRequest(apiKey: string, key: string, body: PaymentBody, headers: Record<string, string> = {}): HttpRequest {
  return {
    method: "POST",
    path: "/api/payments",
    headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json", "Idempotency-Key": key, ...headers },
    body: JSON.stringify(body),
  };
}

/** docs/API.md "Retry advice": these are worth retrying with the same key; anything else is final. */
function isRetryable(answer: HttpAnswer): boolean {
  return answer.status === 0 || answer.status === 409 || answer.status === 429 || answer.status >= 500;
}

type RetryOptions = {
  /** Instance base URLs; each attempt goes to one picked at random (a load balancer). */
  instances: readonly string[];
  request: HttpRequest;
  agent?: Agent;
  maxAttempts: number;
  /** No attempt starts after this time (epoch ms): the loop is bounded in time as well. */
  deadline: number;
  onAnswer?: (answer: HttpAnswer) => void;
};

/**
 * A well-behaved client: sends the same request (same key, same body) until a final answer,
 * waiting at least Retry-After, with capped exponential backoff and jitter in between.
 * Returns every answer; the last one is final unless attempts or time ran out.
 */
export async function sendUntilFinal(options: RetryOptions): Promise<HttpAnswer[]> {
  const answers: HttpAnswer[] = [];
  for (let attempt = 0; attempt < options.maxAttempts && Date.now() < options.deadline; attempt++) {
    const instance = options.instances[Math.floor(Math.random() * options.instances.length)]!;
    const answer = await send(instance, options.request, options.agent);
    answers.push(answer);
    options.onAnswer?.(answer);
    if (!isRetryable(answer)) break;
    const retryAfterMs = Number(answer.headers["retry-after"] ?? 0) * 1000;
    const backoffMs = Math.min(100 * 2 ** attempt, 2_000) * (1 + Math.random() / 2);
    await new Promise((resolve) => setTimeout(resolve, Math.max(retryAfterMs, backoffMs)));
  }
  return answers;
}
