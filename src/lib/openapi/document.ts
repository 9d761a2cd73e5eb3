import { z } from "zod";
import { ERROR_CODES, errorTypeUrl, type ErrorCode } from "../error-codes";
import { apiKeyListResponseSchema, apiKeyResponseSchema, createdApiKeyResponseSchema } from "../schemas/api-key-response";
import { createApiKeySchema } from "../schemas/api-key";
import { idempotencyKeyResponseSchema } from "../schemas/idempotency-key-response";
import {
  accountResponseSchema,
  cleanupResponseSchema,
  healthResponseSchema,
  reconcileResponseSchema,
  webhookAckResponseSchema,
} from "../schemas/operations-response";
import { createPaymentSchema } from "../schemas/payment";
import { paymentDetailResponseSchema, paymentListResponseSchema, paymentResponseSchema } from "../schemas/payment-response";
import { problemSchema } from "../schemas/problem";
import { createRefundSchema } from "../schemas/refund";
import { refundListResponseSchema, refundResponseSchema } from "../schemas/refund-response";
import { signUpSchema } from "../schemas/sign-up";
import { idempotencyPolicy, type PolicySettings } from "./idempotency-policy";
import { OPERATIONS, type Caller, type Operation, type ResponseHeader } from "./operations";

/*
 * The OpenAPI 3.1 document of the API (GET /api/openapi.json), made from the zod schemas the
 * routes validate requests with and write answers from (zod 4's JSON Schema output), and from
 * the table of operations (operations.ts). Nothing in it is written twice: a field added to a
 * schema is in the document, and a code added to an operation is in its answers.
 */

type Json = Record<string, unknown>;

/** Named components: request bodies read as input, answers as output (zod's `io`). */
const INPUT_SCHEMAS = {
  CreatePayment: createPaymentSchema,
  CreateRefund: createRefundSchema,
  CreateApiKey: createApiKeySchema,
  SignUp: signUpSchema,
} satisfies Record<string, z.ZodType>;

const OUTPUT_SCHEMAS = {
  Payment: paymentResponseSchema,
  PaymentDetail: paymentDetailResponseSchema,
  PaymentList: paymentListResponseSchema,
  Refund: refundResponseSchema,
  RefundList: refundListResponseSchema,
  IdempotencyKeyStatus: idempotencyKeyResponseSchema,
  ApiKey: apiKeyResponseSchema,
  ApiKeyList: apiKeyListResponseSchema,
  CreatedApiKey: createdApiKeyResponseSchema,
  Account: accountResponseSchema,
  Health: healthResponseSchema,
  CleanupSummary: cleanupResponseSchema,
  ReconcileSummary: reconcileResponseSchema,
  WebhookAck: webhookAckResponseSchema,
  Problem: problemSchema,
} satisfies Record<string, z.ZodType>;

const SECURITY_SCHEMES = {
  apiKey: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "ipk_…",
    description: "An API key: `Authorization: Bearer ipk_…` (`npm run api-key`, or Settings → API keys). Stored only as a SHA-256 hash.",
  },
  session: {
    type: "apiKey",
    in: "cookie",
    name: "authjs.session-token",
    description:
      "The session cookie of a signed-in browser (`__Secure-authjs.session-token` over https). State-changing requests with it must come from this site's own pages (else 403 `forbidden_origin`).",
  },
  cronSecret: { type: "http", scheme: "bearer", description: "`Authorization: Bearer $CRON_SECRET`: the scheduler's shared secret." },
  metricsToken: { type: "http", scheme: "bearer", description: "`Authorization: Bearer $METRICS_TOKEN`: the scraper's shared secret." },
  stripeSignature: {
    type: "apiKey",
    in: "header",
    name: "Stripe-Signature",
    description: "Stripe's HMAC-SHA256 signature of the raw body with the endpoint's signing secret (`STRIPE_WEBHOOK_SECRET`).",
  },
};

const SECURITY: Record<Caller, Json[]> = {
  user: [{ apiKey: [] }, { session: [] }],
  session: [{ session: [] }],
  cronSecret: [{ cronSecret: [] }],
  metricsToken: [{ metricsToken: [] }],
  stripeSignature: [{ stripeSignature: [] }],
  anyone: [],
};

const HEADERS: Record<ResponseHeader | "X-Request-Id" | "Allow", Json> = {
  "X-Request-Id": {
    description: "This request's id (the one sent, if it was 8–64 of `A-Za-z0-9._:-`); on every answer and in the server's log. Quote it when reporting a problem.",
    schema: { type: "string" },
  },
  Location: { description: "The created resource (on 201).", schema: { type: "string" } },
  "Idempotent-Replayed": {
    description: "`true` when this is the stored answer of an earlier request with the same key, replayed.",
    schema: { type: "string", enum: ["true"] },
  },
  "Idempotency-Key-Expires": {
    description:
      "An HTTP-date: until when the key replays its answer. Before it, retry with the same key; after it, the same key starts a new request, so a client still without an answer checks GET /api/payments.",
    schema: { type: "string", examples: ["Wed, 02 Dec 2026 10:00:00 GMT"] },
  },
  "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer", minimum: 0 } },
  "WWW-Authenticate": { description: "How to authenticate (on 401).", schema: { type: "string" } },
  Allow: { description: "The methods the path serves (on 405).", schema: { type: "string" } },
};

/** Errors every operation may answer: an unexpected failure, and PostgreSQL unreachable. */
const EVERY_OPERATION: ErrorCode[] = ["internal_error", "service_unavailable"];

/** Headers an error answer carries, by code. */
const ERROR_HEADERS: Partial<Record<ErrorCode, ResponseHeader[]>> = {
  unauthorized: ["WWW-Authenticate"],
  idempotency_request_in_progress: ["Retry-After", "Idempotency-Key-Expires"],
  idempotency_key_reused: ["Idempotency-Key-Expires"],
  card_declined: ["Idempotent-Replayed", "Idempotency-Key-Expires"],
  rate_limited: ["Retry-After"],
  outcome_not_recorded: ["Idempotency-Key-Expires"],
  service_unavailable: ["Retry-After"],
};

/** Codes whose answer always has a header (the validator insists on these). */
const REQUIRED_ERROR_HEADERS: Partial<Record<ErrorCode, ResponseHeader[]>> = {
  unauthorized: ["WWW-Authenticate"],
  idempotency_request_in_progress: ["Retry-After"],
  rate_limited: ["Retry-After"],
  service_unavailable: ["Retry-After"],
};

export type DocumentOptions = {
  /** The deployment's key policy (its env); the defaults otherwise, as in the committed copy. */
  policy?: Partial<PolicySettings>;
};

/** The OpenAPI 3.1 document. Deterministic: the committed client/openapi.json is this with the defaults. */
export function openApiDocument(options: DocumentOptions = {}): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const operation of OPERATIONS) {
    (paths[operation.path] ??= {})[operation.method] = operationObject(operation);
  }
  return {
    openapi: "3.1.1",
    info: {
      title: "Idempotent payments API",
      version: "1.0.0",
      summary: "Payments and refunds that are charged exactly once, however often they are retried.",
      description:
        "Every money-moving request carries an `Idempotency-Key` (see `x-idempotency` and docs/API.md). Errors are `application/problem+json` (RFC 9457) with a stable `code` and a `retry` hint; each code is explained at `/docs/errors#<code>`, the problem's `type`.",
    },
    servers: [{ url: "/", description: "This deployment" }],
    tags: [...new Set(OPERATIONS.map((operation) => operation.tag))].map((name) => ({ name })),
    "x-idempotency": idempotencyPolicy(options.policy),
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: SECURITY_SCHEMES,
      headers: HEADERS,
      parameters: {
        IdempotencyKey: {
          name: "Idempotency-Key",
          in: "header",
          required: true,
          description:
            "One key per logical operation, reused for every retry of it: 1–255 printable ASCII characters, sent once. A quoted value (`\"order-1\"`) is the same key as `order-1`; a comma is allowed only inside quotes.",
          schema: { type: "string", minLength: 1, maxLength: 257, pattern: "^[\\x20-\\x7E]+$" },
        },
        Prefer: {
          name: "Prefer",
          in: "header",
          required: false,
          description:
            "RFC 7240 `wait=N`: if a request with this key is in progress, wait up to N seconds for its answer instead of a 409: at most 10, less on a host that limits how long a request may run (`x-idempotency.maxPreferWaitSeconds`).",
          schema: { type: "string", examples: ["wait=5"] },
        },
      },
    },
  };
}

function operationObject(operation: Operation): Json {
  const parameters: Json[] = [
    ...Object.entries(operation.pathParams ?? {}).map(([name, description]) => ({
      name,
      in: "path",
      required: true,
      description,
      schema: { type: "string" },
    })),
    ...queryParameters(operation),
    ...(operation.keyed ? [{ $ref: "#/components/parameters/IdempotencyKey" }, { $ref: "#/components/parameters/Prefer" }] : []),
  ];
  return {
    operationId: operation.operationId,
    tags: [operation.tag],
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    security: SECURITY[operation.caller],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...requestBody(operation),
    responses: responses(operation),
    ...(operation.keyed ? { "x-idempotency": { keyed: true, scope: "user", replays: "status and body, byte for byte" } } : {}),
  };
}

function queryParameters(operation: Operation): Json[] {
  if (!operation.query) return [];
  const schema = clean(z.toJSONSchema(operation.query, { io: "input", unrepresentable: "any" })) as { properties: Record<string, Json>; required?: string[] };
  return Object.entries(schema.properties).map(([name, property]) => ({
    name,
    in: "query",
    required: schema.required?.includes(name) ?? false,
    schema: property,
  }));
}

function requestBody(operation: Operation): Json {
  if (operation.rawBody) {
    return { requestBody: { required: true, description: operation.rawBody, content: { "application/json": { schema: { type: "object" } } } } };
  }
  if (!operation.body) return {};
  const name = Object.entries(INPUT_SCHEMAS).find(([, schema]) => schema === operation.body)?.[0];
  if (!name) throw new Error(`${operation.operationId}: its body schema is not one of document.ts's INPUT_SCHEMAS`);
  return { requestBody: { required: true, content: { "application/json": { schema: ref(name) } } } };
}

function responses(operation: Operation): Record<string, Json> {
  const { success } = operation;
  const answers: Record<string, Json> = {
    [success.status]: {
      description: success.description,
      headers: headerRefs(["X-Request-Id", ...(success.headers ?? [])], ["X-Request-Id"]),
      content: "text" in success.body ? { [success.body.text]: { schema: { type: "string" } } } : { "application/json": { schema: ref(outputName(operation, success.body)) } },
    },
  };
  const codes = [...errorCodes(operation)];
  const statuses = [...new Set(codes.map((code) => ERROR_CODES[code].status))].sort((a, b) => a - b);
  for (const status of statuses) {
    const group = codes.filter((code) => ERROR_CODES[code].status === status);
    const headers = [...new Set(group.flatMap((code) => ERROR_HEADERS[code] ?? []))];
    // A header is required only if every code of this status always sends it.
    const required = headers.filter((header) => group.every((code) => REQUIRED_ERROR_HEADERS[code]?.includes(header)));
    answers[status] = {
      description: group.map((code) => `[\`${code}\`](${errorTypeUrl(code)}): ${ERROR_CODES[code].title}.`).join(" "),
      headers: headerRefs(["X-Request-Id", ...headers], ["X-Request-Id", ...required]),
      content: {
        "application/problem+json": {
          schema: {
            allOf: [ref("Problem"), { properties: { status: { const: status }, code: { enum: group } } }],
          },
        },
      },
    };
  }
  return answers;
}

/** This operation's codes, with those its caller and every request share, in the table's order. */
function errorCodes(operation: Operation): Set<ErrorCode> {
  const shared: ErrorCode[] = [...EVERY_OPERATION];
  if (operation.caller === "user" || operation.caller === "cronSecret" || operation.caller === "metricsToken") shared.push("unauthorized");
  // The proxy refuses a state-changing request that relies on a cookie from elsewhere (same-origin.ts).
  if (operation.method !== "get" && operation.caller !== "stripeSignature") shared.push("forbidden_origin");
  const codes = new Set([...operation.errors, ...shared]);
  return new Set((Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => codes.has(code)));
}

function headerRefs(names: string[], required: string[]): Record<string, Json> {
  return Object.fromEntries(
    names.map((name) => [name, required.includes(name) ? { ...HEADERS[name as ResponseHeader], required: true } : { $ref: `#/components/headers/${name}` }]),
  );
}

function outputName(operation: Operation, schema: z.ZodType): string {
  const name = Object.entries(OUTPUT_SCHEMAS).find(([, candidate]) => candidate === schema)?.[0];
  if (!name) throw new Error(`${operation.operationId}: its answer's schema is not one of document.ts's OUTPUT_SCHEMAS`);
  return name;
}

function ref(name: string): Json {
  return { $ref: `#/components/schemas/${name}` };
}

/** The named schemas, in zod's JSON Schema (2020-12, OpenAPI 3.1's dialect), referring to each other by name. */
function componentSchemas(): Record<string, Json> {
  const emit = (schemas: Record<string, z.ZodType>, io: "input" | "output") => {
    const registry = z.registry<{ id: string }>();
    for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
    return z.toJSONSchema(registry, { io, unrepresentable: "any", uri: (id) => `#/components/schemas/${id}` }).schemas;
  };
  const all = { ...emit(INPUT_SCHEMAS, "input"), ...emit(OUTPUT_SCHEMAS, "output") };
  const described: Json = {
    Problem: {
      description: "An RFC 9457 problem. Branch on `code` (several share a status); `retry` says what a client may do now.",
    },
  };
  return Object.fromEntries(Object.entries(all).map(([id, schema]) => [id, { ...(described[id] as Json), ...(clean(schema) as Json) }]));
}

const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

/**
 * zod's output made quieter: without `$schema`/`$id` (a component is named by its key) and
 * without the ±2^53 bounds zod puts on every integer, which say nothing a reader needs.
 */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, inner]) => key !== "$schema" && key !== "$id" && !((key === "minimum" || key === "maximum") && SAFE_INTEGER_BOUNDS.has(inner as number)))
      .map(([key, inner]) => [key, clean(inner)]),
  );
}

