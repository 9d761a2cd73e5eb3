import type { IncomingMessage, ServerResponse } from "node:http";
import type { Account } from "./accounts";
import { type ApiKey, accountKeyOf, parseApiKey, publishableKeyRefused } from "./api-keys";
import { chargeAndEventRoutes } from "./charges-and-events";
import { confirmationTokenRoutes } from "./confirmation-tokens";
import type { EmulatorState } from "./emulator-state";
import { StripeApiError, docUrl, internalApiError, invalidRequest, unrecognizedUrl } from "./errors";
import { type ResponseShape, expandResponse, validateExpandPaths } from "./expand";
import type { FaultPlan } from "./faults";
import { type FormObject, FormDecodeError, decodeForm } from "./form-decode";
import { MAX_IDEMPOTENCY_KEY_LENGTH, canonicalParams } from "./idempotency";
import { Params } from "./params";
import { pause } from "./pause";
import { paymentIntentRoutes } from "./payment-intents";
import { paymentMethodRoutes } from "./payment-methods";
import { refundRoutes } from "./refunds";
import { type ApiContext, type Route, type RouteMatch, matchRoute } from "./routes";

const ROUTES: readonly Route[] = [
  ...paymentIntentRoutes,
  ...paymentMethodRoutes,
  ...confirmationTokenRoutes,
  ...refundRoutes,
  ...chargeAndEventRoutes,
];

/**
 * api.stripe.com answers browsers from any origin (Stripe.js calls it from the merchant's page with
 * the publishable key), so the emulator's /v1 does too: every answer allows any origin and
 * exposes its request id, and a preflight (`OPTIONS`) is answered without a key.
 */
const CORS_HEADERS: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Expose-Headers": "Request-Id, Stripe-Version, Idempotency-Key, Idempotent-Replayed, Original-Request",
};
const PREFLIGHT_HEADERS: Readonly<Record<string, string>> = {
  ...CORS_HEADERS,
  "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
  "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key, Stripe-Version, Stripe-Account",
  "Access-Control-Max-Age": "300",
};

/** What one /v1 request learned about itself before it is answered. */
interface ApiRequest {
  id: string;
  method: string;
  path: string;
  query: string;
  body: string;
  authorization: string | undefined;
  /** The `Stripe-Version` header as sent; checked once the request is authenticated (api-version.ts). */
  requestedApiVersion: string | undefined;
  /** The version the request is answered in (the account's default until the header is checked). */
  apiVersion: string;
  idempotencyKey: string | undefined;
  match: RouteMatch | undefined;
  plan: FaultPlan;
  /** Waits for the injected latency, at most once per request. */
  simulateLatency: () => Promise<void>;
}

interface Outcome {
  status: number;
  body: string;
  /** Whether an idempotency key may keep this result (see StripeApiError.storedForIdempotency). */
  storable: boolean;
  /** Set on replays: the request whose stored response this is. */
  originalRequestId?: string;
  /** Kept under an idempotency key (first answer or replay): a retry with that key gets it again. */
  keptUnderKey?: boolean;
}

/**
 * Answers one /v1 request: authenticate, apply injected faults, honour the idempotency key,
 * execute the route, then respond (or, when a fault says so, drop or hold the response).
 */
export async function handleApiRequest(
  state: EmulatorState,
  request: IncomingMessage,
  response: ServerResponse,
  requestId: string,
  body: string,
): Promise<void> {
  if (request.method === "OPTIONS") {
    response.writeHead(204, PREFLIGHT_HEADERS).end();
    return;
  }
  const startedAt = Date.now();
  const api = describeRequest(state, request, requestId, body);
  const outcome = await produceOutcome(state, api);
  await api.simulateLatency();
  const delivery = await deliver(state, request, response, api, outcome);
  state.log(
    [
      api.method,
      api.path,
      delivery === "sent" ? outcome.status : delivery,
      `${Date.now() - startedAt}ms`,
      api.id,
      outcome.originalRequestId ? "replayed" : "",
    ]
      .filter((part) => part !== "")
      .join(" "),
  );
}

function describeRequest(state: EmulatorState, request: IncomingMessage, id: string, body: string): ApiRequest {
  const url = new URL(request.url ?? "/", "http://emulator.invalid");
  const method = request.method ?? "GET";
  const match = matchRoute(ROUTES, method, url.pathname);
  state.stats.countRequest(match ? `${method} ${match.route.pattern}` : "unmatched");
  const plan = state.faults.plan(url.pathname, accountKeyOf(request.headers.authorization), state.now());
  if (plan.rateLimited) state.stats.countFault("rate_limit");
  if (plan.failure) state.stats.countFault(plan.failure);
  let latency: Promise<unknown> | undefined;
  return {
    id,
    method,
    path: url.pathname,
    query: url.search.slice(1),
    body,
    authorization: request.headers.authorization,
    requestedApiVersion: headerValue(request, "stripe-version"),
    apiVersion: state.apiVersions.accountDefault,
    // Stripe ignores idempotency keys on GET (and DELETE): reads are idempotent already.
    idempotencyKey: method === "POST" ? headerValue(request, "idempotency-key") : undefined,
    match,
    plan,
    simulateLatency: async () => {
      latency ??= pause(plan.latencyMs, state.shutdown);
      await latency;
    },
  };
}

async function produceOutcome(state: EmulatorState, api: ApiRequest): Promise<Outcome> {
  try {
    return await processRequest(state, api);
  } catch (error) {
    if (error instanceof StripeApiError) return errorOutcome(error);
    if (error instanceof FormDecodeError) return errorOutcome(invalidRequest(error.message));
    // A bug in the emulator, not a simulated failure: say so loudly.
    process.stderr.write(`stripe-emulator: unexpected error on ${api.method} ${api.path}: ${String(error)}\n`);
    return errorOutcome(internalApiError());
  }
}

async function processRequest(state: EmulatorState, api: ApiRequest): Promise<Outcome> {
  const apiKey = parseApiKey(api.authorization);
  api.apiVersion = state.apiVersions.forRequest(api.requestedApiVersion);
  // "Rate limiters run before the API's idempotency layer" (docs.stripe.com/error-low-level): a
  // 429 executed nothing and stored nothing, so a retry with the same key runs normally.
  if (api.plan.rateLimited) throw rateLimitError();
  // Injected before anything is read or claimed: the request had no effect and stores nothing.
  if (api.plan.failure === "error") throw internalApiError();
  const match = api.match;
  if (!match) throw unrecognizedUrl(api.method, api.path);
  if (apiKey.publishable && !match.route.publishable) throw publishableKeyRefused();
  const params = decodeForm(api.method === "POST" ? api.body : api.query);
  const expand = readExpand(params, match.route.returns);
  const account = state.accounts.forApiKey(apiKey.accountKey);
  const execute = () =>
    withInjectedFailure(api, () => executeRoute(state, api, { match, account, apiKey, params, expand }));

  const key = api.idempotencyKey;
  if (key === undefined) {
    await api.simulateLatency();
    return execute();
  }
  return executeOnce(state, api, account, { key, params: canonicalParams(params) }, execute);
}

/**
 * The 500s injected once the endpoint has begun executing. "For API v1, Stripe saves the status
 * code and body of the first request made with a given idempotency key after endpoint execution
 * begins. Retries with the same key return the saved response, including 500 errors."
 * (docs.stripe.com/api/idempotent_requests) So these are stored like any other result, and every
 * retry with the key gets the same 500 until the key expires.
 * Without a key (a GET, or a POST sent without one) the client just gets the 500.
 */
function withInjectedFailure(api: ApiRequest, execute: () => Outcome): Outcome {
  switch (api.plan.failure) {
    case "stored_error":
      // Failed as it started: nothing was created. (Its parameters are not even validated.)
      return storedServerError();
    case "stored_error_after_process": {
      // The work is done (objects, events), but the answer kept for the key is the 500.
      const outcome = execute();
      // A request the endpoint refused before doing anything (validation) keeps its own answer.
      return outcome.storable ? storedServerError() : outcome;
    }
    default:
      return execute();
  }
}

function storedServerError(): Outcome {
  return { ...errorOutcome(internalApiError()), storable: true };
}

/**
 * Stripe's idempotency: the first request with a key executes and its result is kept; a retry
 * with the same parameters gets that result replayed, one with other parameters an
 * idempotency_error, and one arriving while the first still runs a 409.
 */
async function executeOnce(
  state: EmulatorState,
  api: ApiRequest,
  account: Account,
  { key, params }: { key: string; params: string },
  execute: () => Outcome,
): Promise<Outcome> {
  if (key === "" || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw invalidRequest(`Invalid idempotency key: keys must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters long.`);
  }
  const claim = account.idempotency.claim(key, { method: api.method, path: api.path, params });
  switch (claim.outcome) {
    case "replay":
      state.stats.countReplay();
      return {
        status: claim.response.status,
        body: claim.response.body,
        storable: false,
        originalRequestId: claim.response.requestId,
        keptUnderKey: true,
      };
    case "in_progress":
      state.stats.countConflict();
      throw keyInUse(key);
    case "mismatch":
      state.stats.countMismatch();
      throw new StripeApiError(400, { type: "idempotency_error", message: claim.message });
    case "claimed":
      break;
  }
  try {
    // The latency stands for processing time, so it is spent while the key is held: a duplicate
    // arriving meanwhile gets the 409 a real concurrent retry would.
    await api.simulateLatency();
    const outcome = execute();
    if (outcome.storable) {
      account.idempotency.complete(key, { status: outcome.status, body: outcome.body, requestId: api.id });
      return { ...outcome, keptUnderKey: true };
    }
    account.idempotency.release(key);
    return outcome;
  } catch (error) {
    account.idempotency.release(key);
    throw error;
  }
}

interface Execution {
  match: RouteMatch;
  account: Account;
  apiKey: ApiKey;
  /** Decoded parameters, `expand` included (handlers never see it). */
  params: FormObject;
  expand: readonly string[];
}

function executeRoute(state: EmulatorState, api: ApiRequest, { match, account, apiKey, params, expand }: Execution): Outcome {
  const origin = { requestId: api.id, idempotencyKey: api.idempotencyKey ?? null };
  const context: ApiContext = {
    account,
    params: new Params(withoutExpand(params)),
    resourceId: match.resourceId,
    nowSeconds: () => Math.floor(state.now() / 1000),
    emit: (type, object) => state.events.record(account, type, object, origin),
    searchable: (intent) =>
      state.events.searchIndex.searchable(account, intent, state.now(), state.faults.searchLagMs()),
    baseUrl: state.baseUrl,
    publishableKey: apiKey.publishable,
  };
  try {
    const result = match.route.handle(context);
    return { status: 200, body: toJson(expandResponse(result, expand, match.route.returns, account)), storable: true };
  } catch (error) {
    if (error instanceof StripeApiError) return errorOutcome(error);
    throw error;
  }
}

/** `expand[]` is checked up front (so a bad path stores nothing) and applied to the response. */
function readExpand(params: FormObject, shape: ResponseShape): string[] {
  const paths = new Params(params).stringList("expand") ?? [];
  validateExpandPaths(paths, shape);
  return paths;
}

function withoutExpand(params: FormObject): FormObject {
  const rest = { ...params };
  delete rest.expand;
  return rest;
}

function keyInUse(key: string): StripeApiError {
  return new StripeApiError(409, {
    type: "invalid_request_error",
    code: "idempotency_key_in_use",
    doc_url: docUrl("idempotency_key_in_use"),
    message: `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
  });
}

/**
 * Stripe's answer over the rate limit: 429, `invalid_request_error` with code `rate_limit`
 * (docs.stripe.com/rate-limits, docs.stripe.com/error-codes/rate-limit; the message is test mode's,
 * as captured test-mode 429s show it). stripe-node raises StripeRateLimitError for any 429.
 */
function rateLimitError(): StripeApiError {
  return new StripeApiError(429, {
    type: "invalid_request_error",
    code: "rate_limit",
    doc_url: docUrl("rate_limit"),
    message:
      "Testmode request rate limit exceeded, the rate limits in testmode are lower than livemode. You can learn more about rate limits here https://stripe.com/docs/rate-limits.",
  });
}

function errorOutcome(error: StripeApiError): Outcome {
  return { status: error.status, body: toJson({ error: error.body }), storable: error.storedForIdempotency };
}

/** Stripe answers pretty-printed JSON. */
function toJson(body: object): string {
  return JSON.stringify(body, null, 2);
}

type Delivery = "sent" | "dropped" | "abandoned";

async function deliver(
  state: EmulatorState,
  request: IncomingMessage,
  response: ServerResponse,
  api: ApiRequest,
  outcome: Outcome,
): Promise<Delivery> {
  if (api.plan.failure === "drop") {
    // The work is done and its idempotent result stored; the client just never hears back.
    request.socket.destroy();
    return "dropped";
  }
  if (api.plan.failure === "hang" && !(await pause(api.plan.hangMs, state.shutdown))) return "abandoned";
  if (response.destroyed || response.writableEnded) return "abandoned";
  response.writeHead(outcome.status, responseHeaders(api, outcome));
  response.end(outcome.body);
  return "sent";
}

function responseHeaders(api: ApiRequest, outcome: Outcome): Record<string, string> {
  const headers: Record<string, string> = {
    ...CORS_HEADERS,
    "Content-Type": "application/json",
    "Stripe-Version": api.apiVersion,
  };
  if (api.idempotencyKey !== undefined) headers["Idempotency-Key"] = api.idempotencyKey;
  if (outcome.originalRequestId !== undefined) {
    headers["Idempotent-Replayed"] = "true";
    headers["Original-Request"] = outcome.originalRequestId;
  }
  if (outcome.status === 401) headers["WWW-Authenticate"] = 'Basic realm="Stripe"';
  // Stripe names the limiter that refused the request and sends no Retry-After
  // (docs.stripe.com/rate-limits, "Rate limited requests"); stripe-node does not retry a 429
  // unless Stripe-Should-Retry says so, and here it does not: the client backs off itself.
  if (outcome.status === 429) headers["Stripe-Rate-Limited-Reason"] = "global-rate";
  // stripe-node retries a 5xx unless `Stripe-Should-Retry: false` (RequestSender._shouldRetry),
  // and expects that header "in most cases when a 500 is returned, since our idempotency
  // framework would typically replay it anyway". A 500 kept under a key is exactly that case:
  // retrying it with the same key can only replay it. A 500 that stored nothing sends no header,
  // so the SDK's default (retry) applies, which is right since a retry runs anew.
  if (outcome.status >= 500 && outcome.keptUnderKey) headers["Stripe-Should-Retry"] = "false";
  return headers;
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
