/** The settings of the key policy that a deployment may change (src/env.ts). */
export type PolicySettings = {
  /** IDEMPOTENCY_TTL: how long a finished key replays its answer. */
  ttlSeconds: number;
  /** IDEMPOTENCY_LOCK_TIMEOUT: how long a request holds its key before another may take it over. */
  lockTimeoutSeconds: number;
  /** The longest `Prefer: wait` honoured here (less than 10 s under MAX_REQUEST_SECONDS). */
  maxPreferWaitSeconds: number;
};

/** RFC 7240 `Prefer: wait` is capped at this many seconds (parse-prefer-wait.ts reads the same). */
export const MAX_PREFER_WAIT_SECONDS = 10;

export const DEFAULT_POLICY: PolicySettings = { ttlSeconds: 86_400, lockTimeoutSeconds: 60, maxPreferWaitSeconds: MAX_PREFER_WAIT_SECONDS };

/**
 * The idempotency policy, published as the IETF draft (draft-ietf-httpapi-idempotency-key-header)
 * says a server SHOULD: `x-idempotency` at the top of the OpenAPI document. DESIGN.md §3–4
 * and docs/API.md say the same in prose.
 */
export function idempotencyPolicy(settings: Partial<PolicySettings> = {}) {
  const { ttlSeconds, lockTimeoutSeconds, maxPreferWaitSeconds } = { ...DEFAULT_POLICY, ...settings };
  return {
    header: "Idempotency-Key",
    specification: "https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/",
    appliesTo: ["POST /api/payments", "POST /api/payments/{id}/refunds"],
    key: "Required. One value of 1–255 printable ASCII characters, sent once; a quoted value is unquoted; a comma only inside quotes. Any other form is 400 idempotency_key_invalid, with nothing stored.",
    scope: "Per user: the same key from two users names two requests. A key belongs to one request (method, path and body) of its user.",
    fingerprint: "SHA-256 of the canonical JSON of the method, the path and the validated body (defaults applied): key order and whitespace do not matter, values do.",
    ttlSeconds,
    expiry: "A finished key replays its answer until `Idempotency-Key-Expires`; after that the same key starts a new request. Unfinished keys never expire: they are finished by a retry or by the reconciler.",
    stored: "The first final answer: its status and exact body (a success, a decline, a refusal by the payment provider), and the payment or refund it made.",
    notStored:
      "Refusals before the key is claimed (bad credentials, key, body or JSON) and refusals of the request itself before any side effect: the key stays free for the corrected request. Transient failures (503) release the key: a retry with it re-drives the same provider request, never a second one.",
    concurrency: `A duplicate while the first request runs gets 409 idempotency_request_in_progress with Retry-After, or with \`Prefer: wait=N\` (N ≤ ${maxPreferWaitSeconds}) waits for the first answer.`,
    maxPreferWaitSeconds,
    mismatch: "The same key with another method, path or body: 422 idempotency_key_reused; nothing runs.",
    lockTimeoutSeconds,
    recovery: `A request that dies holding its key (a crash) is taken over by the next retry after ${lockTimeoutSeconds} s, under the same provider idempotency key, so the provider replays instead of charging again; keys it cannot finish are reconciled (npm run reconcile).`,
    replayHeaders: ["Idempotent-Replayed: true", "Idempotency-Key-Expires"],
    status: "GET /api/idempotency-keys/{key} tells whether the request is in progress, interrupted, completed (and what it made) or unknown, without sending it again.",
  };
}
