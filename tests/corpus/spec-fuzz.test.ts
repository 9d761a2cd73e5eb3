import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openApiDocument } from "@/lib/openapi/document";
import { chaosContext, chaosUser, type ChaosUser } from "../chaos/chaos-context";
import { emulator } from "../chaos/emulator-admin";
import { keepAliveAgent, send, sendRaw, type HttpAnswer, type HttpRequest } from "../chaos/http-client";
import { paymentRequest, VISA_PAYMENT } from "../chaos/payments-client";
import { sql } from "../chaos/sql";
import { appendSummaryRow, createTally } from "../chaos/summary";
import { JsonSchemaArbitraries, OMIT, type JsonSchema, type PropertyHints } from "../helpers/json-schema-arbitrary";
import { openApiValidator } from "../helpers/openapi-validator";

/*
 * The spec fuzzer (issue 17): requests generated FROM the OpenAPI document (every path and
 * operation of openApiDocument(), so a new operation is fuzzed without touching this file)
 * against the live production instances of the chaos run, checking that
 *   1. nothing answers 5xx but a documented 503 (a 500 fails the run);
 *   2. every answer is one the document describes (tests/helpers/openapi-validator.ts):
 *      status, Content-Type, body schema, required headers; a method a path does not serve
 *      is the documented 405 with `Allow`;
 *   3. afterwards, one PaymentIntent at most per (user, Idempotency-Key), and the database and
 *      the emulator agree on every PaymentIntent and refund of the fuzzer's users; every retry
 *      of a key got the first final answer, byte for byte.
 *
 * Keys come from a small pool per user (so one key meets the same and other bodies: replays,
 * 422s) and fresh ones (new payments and refunds), sometimes in bursts of 3–5 concurrent
 * copies (409s, `Prefer: wait`). SPEC_FUZZ_SEED replays a run's choices (the server's state
 * differs from run to run, so a replay is close, not exact); SPEC_FUZZ_RUNS and
 * SPEC_FUZZ_SECONDS change its bounds; SPEC_FUZZ_SHRINK=1 lets fast-check shrink a failure
 * (slow against a live server, and the server remembers every earlier request).
 */

const SEED = process.env.SPEC_FUZZ_SEED ? Number(process.env.SPEC_FUZZ_SEED) : (Date.now() ^ (Math.random() * 2 ** 31)) | 0;
const RUNS = Number(process.env.SPEC_FUZZ_RUNS ?? 300);
const TIME_LIMIT_MS = Number(process.env.SPEC_FUZZ_SECONDS ?? 60) * 1000;
const SHRINK = process.env.SPEC_FUZZ_SHRINK === "1";

const ROLES = ["spec-fuzz-0", "spec-fuzz-1"] as const;
/** Keys per user that runs keep coming back to; the same names for both users (keys are per user). */
const KEY_POOL = ["pool-0", "pool-1", "pool-2", "pool-3"];
/** Stripe's test PaymentMethods: succeeds (thrice as likely), declined, needs 3-D Secure. */
const TEST_CARDS = ["pm_card_visa", "pm_card_visa", "pm_card_visa", "pm_card_chargeDeclined", "pm_card_authenticationRequired"];
/** Sign-ups are throttled per client address: a handful per run, so other suites keep theirs. */
const SIGN_UP_BUDGET = 4;
/** Relative frequency of each operation; one not named here (a new one) gets DEFAULT_WEIGHT. */
const OPERATION_WEIGHTS: Record<string, number> = {
  createPayment: 8,
  createRefund: 6,
  getPayment: 3,
  listPayments: 3,
  getIdempotencyKey: 3,
  listRefunds: 2,
  getRefund: 2,
  signUp: 1,
};
const DEFAULT_WEIGHT = 1;
/** Methods a client may send; those a path does not serve must be answered 405 (OPTIONS: 204). */
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
/** Documented 503 codes: allowed (Stripe may be slow on a loaded machine), counted. */
const DOCUMENTED_503 = new Set(["service_unavailable", "payment_provider_unavailable"]);
/** What the app stores for each PaymentIntent status (a declined intent awaits another card: failed). */
const DB_STATUS_OF: Record<string, string> = { requires_payment_method: "failed" };

// ------------------------------------------------------------------ the document, walked

type Json = Record<string, unknown>;
type Parameter = { name: string; in: "path" | "query" | "header" | "cookie"; required?: boolean; schema?: JsonSchema };
type OperationObject = {
  operationId: string;
  parameters?: JsonSchema[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  security?: Record<string, string[]>[];
};
type SecurityScheme = { type: string; scheme?: string; bearerFormat?: string; in?: string; name?: string };
type OpenApi = { paths: Record<string, Record<string, OperationObject>>; components: { securitySchemes: Record<string, SecurityScheme> } };

/** One operation of the document, as the fuzzer needs it. */
type Operation = {
  id: string;
  method: string;
  template: string;
  parameters: Parameter[];
  body?: JsonSchema;
  schemes: SecurityScheme[];
  /** Has the Idempotency-Key header parameter: answers are stored and replayed per key. */
  keyed: boolean;
};

const document = openApiDocument() as unknown as OpenApi;
const schemas = new JsonSchemaArbitraries(document as unknown as JsonSchema);
const OPERATIONS: Operation[] = Object.entries(document.paths).flatMap(([template, methods]) =>
  Object.entries(methods).map(([method, operation]) => {
    const parameters = (operation.parameters ?? []).map((parameter) => schemas.resolve(parameter) as unknown as Parameter);
    return {
      id: operation.operationId,
      method: method.toUpperCase(),
      template,
      parameters,
      body: operation.requestBody?.content?.["application/json"]?.schema,
      schemes: (operation.security ?? []).flatMap((requirement) => Object.keys(requirement)).map((name) => document.components.securitySchemes[name]!),
      keyed: parameters.some((parameter) => parameter.in === "header" && parameter.name.toLowerCase() === "idempotency-key"),
    };
  }),
);
const PATHS = Object.keys(document.paths);

/** Bodies a client means to be valid: test cards, amounts a card can pay, one way to pay. */
const BODY_HINTS: Record<string, PropertyHints> = {
  createPayment: {
    amount: (fromSchema) => fc.oneof({ arbitrary: fc.integer({ min: 50, max: 100_000 }), weight: 6 }, { arbitrary: fromSchema, weight: 1 }),
    paymentMethod: (fromSchema) => fc.oneof({ arbitrary: fc.constantFrom(...TEST_CARDS), weight: 10 }, { arbitrary: fromSchema, weight: 1 }),
    confirmationToken: (fromSchema) => fc.oneof({ arbitrary: fc.constant(OMIT), weight: 15 }, { arbitrary: fromSchema, weight: 1 }),
  },
  createRefund: {
    amount: (fromSchema) => fc.oneof({ arbitrary: fc.integer({ min: 1, max: 400 }), weight: 4 }, { arbitrary: fromSchema, weight: 1 }),
  },
  signUp: {
    email: (fromSchema) => fc.oneof({ arbitrary: fc.uuid().map((id) => `spec-fuzz-${id}@example.test`), weight: 4 }, { arbitrary: fromSchema, weight: 1 }),
  },
};

// ------------------------------------------------------------------ plans: what the arbitraries generate

/** Who signs the request: symbolic, resolved when it is sent. */
type AuthPlan =
  | { kind: "none" }
  /** `Bearer <the actor's API key>`; `scheme` varies its spelling. */
  | { kind: "actor"; scheme: "Bearer " | "bearer " | "Bearer  " }
  | { kind: "revoked" }
  | { kind: "header"; name: string; value: string }
  | { kind: "cookie"; name: string; sameOrigin: boolean };

/** A path parameter: a resource of the actor's, of the other user's, or no resource at all. */
type IdPlan =
  | { kind: "own"; index: number; variant: "as-is" | "upper" | "quoted" }
  | { kind: "other"; index: number }
  | { kind: "uuid"; value: string }
  | { kind: "literal"; value: string };

type KeyPlan =
  | { kind: "missing" }
  | { kind: "pool"; index: number; quoted: boolean }
  | { kind: "fresh" }
  /** A key the parameter's schema allows: may still be refused (a comma, an unbalanced quote). */
  | { kind: "schema"; value: string }
  | { kind: "invalid"; value: string | string[]; label: string }
  /** Sent as one header line per pool key: two keys, or the same one twice. */
  | { kind: "repeated"; indexes: number[] };

type QueryValue = { kind: "text"; value: string } | { kind: "seen-cursor"; index: number };

type RawBody = "not-json" | "truncated" | "empty" | "20KiB" | "bom" | "nested" | "duplicate-keys" | "overflow-number" | "nul" | "chunked" | "invalid-utf8";
type BodyPlan = { kind: "none" } | { kind: "json"; value: unknown; note: string } | { kind: "raw"; raw: RawBody; base: unknown; at: number };

type RequestPlan = {
  operation: string;
  method: string;
  template: string;
  actor: 0 | 1;
  instance: "a" | "b";
  auth: AuthPlan;
  pathParams: Record<string, IdPlan>;
  query: Array<[string, QueryValue]>;
  key?: KeyPlan;
  /** The operation's other header parameters (Prefer). */
  headerParams: Record<string, string>;
  contentType?: string;
  body: BodyPlan;
  extras: Record<string, string>;
  /** Made before the run (not generated): counted apart in the distribution. */
  fixture?: true;
};

type Step =
  | { kind: "single"; request: RequestPlan }
  /** The same keyed request 3–5 times at once, over both instances, some asking to wait. */
  | { kind: "burst"; request: RequestPlan; copies: number; waits: boolean[] }
  /** One of the keyed requests sent before, again (a client's retry): a replay, or its refusal. */
  | { kind: "retry"; pick: number; instance: "a" | "b"; prefer?: string };

// ------------------------------------------------------------------ arbitraries, from the document

const instanceArb = fc.constantFrom<"a" | "b">("a", "b");
const actorArb = fc.constantFrom<0 | 1>(0, 1);

/** Credentials for an operation, from its security schemes: ours (an API key) mostly, broken or missing sometimes. */
function authArb(operation: Operation): fc.Arbitrary<AuthPlan> {
  const options: fc.WeightedArbitrary<AuthPlan>[] = [{ arbitrary: fc.constant({ kind: "none" }), weight: 1 }];
  for (const scheme of operation.schemes) {
    if (scheme.type === "http" && scheme.scheme === "bearer" && scheme.bearerFormat?.startsWith("ipk_")) {
      // An API key: the one kind of credential the fuzzer holds.
      options.push(
        { arbitrary: fc.constant({ kind: "actor", scheme: "Bearer " }), weight: 16 },
        { arbitrary: fc.constantFrom({ kind: "actor", scheme: "bearer " } as const, { kind: "actor", scheme: "Bearer  " } as const), weight: 1 },
        { arbitrary: fc.constant({ kind: "revoked" }), weight: 1 },
        { arbitrary: wrongBearerArb(), weight: 1 },
      );
    } else if (scheme.type === "http" && scheme.scheme === "bearer") {
      // A shared secret the fuzzer does not have (cron, metrics): only wrong ones, and our API key.
      options.push({ arbitrary: wrongBearerArb(), weight: 2 }, { arbitrary: fc.constant({ kind: "actor", scheme: "Bearer " }), weight: 1 });
    } else if (scheme.type === "apiKey" && scheme.in === "cookie") {
      // A forged session: refused as cross-site (403) when state-changing, else unauthorized.
      options.push({ arbitrary: fc.boolean().map((sameOrigin) => ({ kind: "cookie", name: scheme.name!, sameOrigin })), weight: 1 });
    } else if (scheme.type === "apiKey" && scheme.in === "header") {
      // A signature the fuzzer cannot make (Stripe's): garbage only.
      options.push({ arbitrary: fc.constantFrom(...GARBAGE_SIGNATURES).map((value) => ({ kind: "header", name: scheme.name!, value })), weight: 3 });
    }
  }
  if (operation.schemes.length === 0) options.push({ arbitrary: fc.constant({ kind: "actor", scheme: "Bearer " }), weight: 1 });
  return fc.oneof(...options);
}

const GARBAGE_SIGNATURES = [
  "",
  "garbage",
  "t=1,v1=deadbeef",
  `t=1700000000,v1=${"0".repeat(64)}`,
  `t=9999999999,v1=${"a".repeat(64)},v0=${"b".repeat(64)}`,
  "t=,v1=",
  "v1=",
  "t=1700000000",
];

function wrongBearerArb(): fc.Arbitrary<AuthPlan> {
  return fc
    .constantFrom("Bearer", "Bearer ", `Bearer ipk_${"A".repeat(43)}`, "Bearer not-a-key", "Basic dXNlcjpwYXNzd29yZA==", `Bearer ${"x".repeat(4_000)}`, "Bearer ipk_\u00e9")
    .map((value) => ({ kind: "header", name: "Authorization", value }));
}

/** Path segments that name nothing a client should reach, already as they go on the wire. */
const HOSTILE_SEGMENTS = [
  "..%2F",
  "..%2F..%2Fapi%2Fhealth",
  "%00",
  "%ZZ",
  "%",
  "%C0%AF",
  "%FF",
  "x".repeat(2_000),
  percentEncode("é🔑ü"),
  percentEncode("\u202e"),
  "00000000-0000-0000-0000-000000000000",
  "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
  "null",
  "-1",
  "1e3",
  percentEncode("' OR '1'='1"),
  "%20",
  "a%2Cb",
  percentEncode('"quoted"'),
];

function idArb(): fc.Arbitrary<IdPlan> {
  return fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant("own" as const), index: fc.nat(), variant: fc.constant("as-is" as const) }), weight: 10 },
    { arbitrary: fc.record({ kind: fc.constant("own" as const), index: fc.nat(), variant: fc.constantFrom("upper" as const, "quoted" as const) }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant("other" as const), index: fc.nat() }), weight: 2 },
    { arbitrary: fc.uuid().map((value) => ({ kind: "uuid" as const, value })), weight: 2 },
    {
      arbitrary: fc.oneof(
        fc.constantFrom(...HOSTILE_SEGMENTS),
        fc.uuid().map((id) => `${id}0`),
        fc.uuid().map((id) => percentEncode(`{${id}}`)),
        fc.string({ unit: "binary", minLength: 1, maxLength: 30 }).map(percentEncode),
      ).map((value) => ({ kind: "literal" as const, value })),
      weight: 3,
    },
  );
}

const KEY_INVALID: Array<{ value: string | string[]; label: string }> = [
  { value: "", label: "empty" },
  { value: "   ", label: "whitespace only" },
  { value: "k".repeat(256), label: "256 characters" },
  { value: "k".repeat(2_000), label: "2000 characters" },
  { value: Buffer.from("clé-ключ-🔑", "utf8").toString("latin1"), label: "UTF-8 bytes" },
  { value: "caf\xe9", label: "a Latin-1 byte" },
  { value: "a\tb", label: "a tab" },
  { value: "a\x01b", label: "SOH (refused by the HTTP server)" },
  { value: "a\x00b", label: "NUL (refused by the HTTP server)" },
  { value: "a\x7fb", label: "DEL (refused by the HTTP server)" },
  { value: "a\rX-Injected: 1", label: "CR: header injection (refused by the HTTP server)" },
  { value: "pool-0, pool-1", label: "a comma-separated list" },
  { value: '"pool-0", "pool-1"', label: "a list of quoted keys" },
  { value: '"pool-0', label: "unbalanced opening quote" },
  { value: 'pool-0"', label: "unbalanced closing quote" },
  { value: '"', label: "a lone quote" },
  { value: '""', label: "empty quoted string" },
  { value: '"a\\"b"', label: "escaped quote" },
  { value: ["pool-0", ""], label: "a key and an empty line" },
];

/** The Idempotency-Key header of a keyed request: mostly valid keys of the pool or fresh ones, sometimes broken. */
function keyArb(parameter: Parameter, forBurst: boolean): fc.Arbitrary<KeyPlan> {
  const pool = fc.record({ kind: fc.constant("pool" as const), index: fc.nat({ max: KEY_POOL.length - 1 }), quoted: fc.constant(false) });
  const quotedPool = fc.record({ kind: fc.constant("pool" as const), index: fc.nat({ max: KEY_POOL.length - 1 }), quoted: fc.constant(true) });
  const fresh = fc.constant({ kind: "fresh" as const });
  if (forBurst) return fc.oneof({ arbitrary: fresh, weight: 3 }, { arbitrary: pool, weight: 1 });
  const fromSchema = schemas.valid(parameter.schema ?? { type: "string" }) as fc.Arbitrary<string>;
  return fc.oneof(
    { arbitrary: pool, weight: 6 },
    { arbitrary: quotedPool, weight: 1 },
    { arbitrary: fresh, weight: 6 },
    { arbitrary: fromSchema.map((value) => ({ kind: "schema" as const, value })), weight: 1 },
    { arbitrary: fc.constantFrom(...KEY_INVALID).map(({ value, label }) => ({ kind: "invalid" as const, value, label })), weight: 2 },
    { arbitrary: fc.array(fc.nat({ max: KEY_POOL.length - 1 }), { minLength: 2, maxLength: 2 }).map((indexes) => ({ kind: "repeated" as const, indexes })), weight: 1 },
    { arbitrary: fc.constant({ kind: "missing" as const }), weight: 1 },
  );
}

const PREFER_GARBAGE = ["wait=abc", "wait=-1", "wait=99999999", "respond-async", "wait=1, wait=2", "WAIT = 1", 'wait="1"', "wait=0", "handling=strict", "wait=1;x=y"];

function headerParameterArb(parameter: Parameter): fc.Arbitrary<string | undefined> {
  if (parameter.name.toLowerCase() === "prefer") {
    return fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 6 },
      { arbitrary: fc.constant("wait=1"), weight: 3 },
      { arbitrary: fc.constantFrom(...PREFER_GARBAGE), weight: 1 },
    );
  }
  // A header parameter of a new operation: left out, valid by its schema, or broken.
  return fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 2 },
    { arbitrary: schemas.valid(parameter.schema ?? {}).map(String), weight: 2 },
    { arbitrary: schemas.invalidScalar(parameter.schema ?? {}, parameter.name).map((m) => latin1Safe(String(m.value))), weight: 1 },
  );
}

function queryArb(parameters: Parameter[]): fc.Arbitrary<Array<[string, QueryValue]>> {
  const query = parameters.filter((parameter) => parameter.in === "query");
  if (query.length === 0) {
    return fc.oneof(
      { arbitrary: fc.constant<Array<[string, QueryValue]>>([]), weight: 9 },
      { arbitrary: fc.constant<Array<[string, QueryValue]>>([["unknown", { kind: "text", value: "1" }]]), weight: 1 },
    );
  }
  const each = query.map((parameter) => {
    const schema = parameter.schema ?? { type: "string" };
    const options: fc.WeightedArbitrary<QueryValue | undefined>[] = [
      { arbitrary: fc.constant(undefined), weight: parameter.required ? 0 : 4 },
      { arbitrary: schemas.valid(schema).map((value) => ({ kind: "text" as const, value: percentEncode(String(value)) })), weight: 3 },
      {
        arbitrary: fc.oneof(
          schemas.invalidScalar(schema, parameter.name).map((m) => percentEncode(typeof m.value === "string" ? m.value : JSON.stringify(m.value))),
          fc.constantFrom("%ZZ", "%00", "", "%E2%80%AE", "x".repeat(3_000)),
        ).map((value) => ({ kind: "text" as const, value })),
        weight: 1,
      },
    ];
    // A value an earlier answer handed out (a page's nextCursor): what a client sends back.
    if (parameter.name === "cursor") options.push({ arbitrary: fc.nat().map((index) => ({ kind: "seen-cursor" as const, index })), weight: 3 });
    return fc.oneof(...options.filter((option) => option.weight > 0)).map((value) => (value ? [[parameter.name, value] as [string, QueryValue]] : []));
  });
  const extras = fc.oneof(
    { arbitrary: fc.constant<Array<[string, QueryValue]>>([]), weight: 8 },
    { arbitrary: fc.constant<Array<[string, QueryValue]>>([["unknown", { kind: "text", value: "x" }]]), weight: 1 },
    { arbitrary: fc.constant<Array<[string, QueryValue]>>([[query[0]!.name, { kind: "text", value: "1" }], [query[0]!.name, { kind: "text", value: "2" }]]), weight: 1 },
  );
  return fc.tuple(...each, extras).map((parts) => parts.flat());
}

const RAW_BODIES: RawBody[] = ["not-json", "truncated", "empty", "20KiB", "bom", "nested", "duplicate-keys", "overflow-number", "nul", "chunked", "invalid-utf8"];

function bodyArb(operation: Operation, forBurst: boolean): fc.Arbitrary<BodyPlan> {
  if (!operation.body) {
    return fc.oneof({ arbitrary: fc.constant({ kind: "none" as const }), weight: 12 }, { arbitrary: fc.constant({ kind: "json" as const, value: { unexpected: true }, note: "a body where none is read" }), weight: 1 });
  }
  const valid = schemas.valid(operation.body, BODY_HINTS[operation.id] ?? {});
  const validPlan = valid.map((value) => ({ kind: "json" as const, value, note: "valid" }));
  if (forBurst) return validPlan;
  return fc.oneof(
    { arbitrary: validPlan, weight: 8 },
    { arbitrary: schemas.invalid(operation.body, BODY_HINTS[operation.id] ?? {}).map((m) => ({ kind: "json" as const, value: m.value, note: m.mutation })), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant("raw" as const), raw: fc.constantFrom(...RAW_BODIES), base: valid, at: fc.double({ min: 0, max: 1, noNaN: true }) }), weight: 2 },
  );
}

const CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/merge-patch+json"];
const WRONG_CONTENT_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "json", ""];

function contentTypeArb(operation: Operation, body: BodyPlan): fc.Arbitrary<string | undefined> {
  if (body.kind === "none") return fc.oneof({ arbitrary: fc.constant(undefined), weight: 9 }, { arbitrary: fc.constant("application/json"), weight: 1 });
  if (!operation.body) return fc.constant("application/json");
  return fc.oneof(
    { arbitrary: fc.constant("application/json"), weight: 12 },
    { arbitrary: fc.constantFrom(...CONTENT_TYPES), weight: 2 },
    { arbitrary: fc.constant(undefined), weight: 1 },
    { arbitrary: fc.constantFrom(...WRONG_CONTENT_TYPES), weight: 1 },
  );
}

/** Headers a client may add: another site's Origin (harmless with an API key), a request id of its own, an Accept. */
const extrasArb: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { arbitrary: fc.constant({}), weight: 12 },
  { arbitrary: fc.constant({ Origin: "https://evil.example" }), weight: 1 },
  { arbitrary: fc.constant({ Origin: "null", "Sec-Fetch-Site": "cross-site" }), weight: 1 },
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9._:-]{8,64}$/).map((id) => ({ "X-Request-Id": id })), weight: 1 },
  { arbitrary: fc.constantFrom("short", "has spaces in it", "x".repeat(65), "bad/char*s!").map((id) => ({ "X-Request-Id": id })), weight: 1 },
  { arbitrary: fc.constant({ Accept: "application/xml" }), weight: 1 },
);

/** A request of `operation`, every part drawn from what the document says of it. */
function requestArb(operation: Operation, forBurst = false): fc.Arbitrary<RequestPlan> {
  const pathNames = operation.parameters.filter((parameter) => parameter.in === "path").map((parameter) => parameter.name);
  const headerParameters = operation.parameters.filter((parameter) => parameter.in === "header" && parameter.name.toLowerCase() !== "idempotency-key");
  const keyParameter = operation.parameters.find((parameter) => parameter.in === "header" && parameter.name.toLowerCase() === "idempotency-key");
  const pathParams = fc.record(Object.fromEntries(pathNames.map((name) => [name, idArb()]))) as fc.Arbitrary<Record<string, IdPlan>>;
  const headers = fc.tuple(...headerParameters.map(headerParameterArb)).map((values) =>
    Object.fromEntries(headerParameters.flatMap((parameter, i) => (values[i] === undefined ? [] : [[parameter.name, values[i]!]]))),
  );
  return bodyArb(operation, forBurst).chain((body) =>
    fc.record({
      operation: fc.constant(operation.id),
      method: fc.constant(operation.method),
      template: fc.constant(operation.template),
      actor: actorArb,
      instance: instanceArb,
      auth: forBurst ? fc.constant<AuthPlan>({ kind: "actor", scheme: "Bearer " }) : authArb(operation),
      pathParams,
      query: queryArb(operation.parameters),
      key: keyParameter ? keyArb(keyParameter, forBurst) : fc.constant(undefined),
      headerParams: headers,
      contentType: contentTypeArb(operation, body),
      body: fc.constant(body),
      extras: forBurst ? fc.constant({}) : extrasArb,
    }),
  );
}

/** A method the path does not serve (HEAD only where GET is served: a 405 to HEAD has no body to carry its code). */
const unservedArb: fc.Arbitrary<RequestPlan> = fc
  .constantFrom(...PATHS)
  .chain((template) => {
    const served = Object.keys(document.paths[template]!).map((method) => method.toUpperCase());
    const others = METHODS.filter((method) => !served.includes(method) && (method !== "HEAD" || served.includes("GET")));
    const pathNames = [...template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
    return fc.record({
      operation: fc.constant("(method not served)"),
      method: fc.constantFrom(...others),
      template: fc.constant(template),
      actor: actorArb,
      instance: instanceArb,
      // No cookie and no Origin: those are refused as cross-site (403) before the method is looked at.
      auth: fc.constantFrom<AuthPlan>({ kind: "actor", scheme: "Bearer " }, { kind: "none" }),
      pathParams: fc.record(Object.fromEntries(pathNames.map((name) => [name, idArb()]))) as fc.Arbitrary<Record<string, IdPlan>>,
      query: fc.constant([]),
      key: fc.constant(undefined),
      headerParams: fc.constant({}),
      contentType: fc.constantFrom(undefined, "application/json"),
      body: fc.constantFrom<BodyPlan>({ kind: "none" }, { kind: "json", value: {}, note: "an empty object" }),
      extras: fc.constant({}),
    });
  });

const singleArb = fc.oneof(
  ...OPERATIONS.map((operation) => ({ arbitrary: requestArb(operation), weight: OPERATION_WEIGHTS[operation.id] ?? DEFAULT_WEIGHT })),
  { arbitrary: unservedArb, weight: 2 },
);
const keyedOperations = OPERATIONS.filter((operation) => operation.keyed);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: singleArb.map((request) => ({ kind: "single" as const, request })), weight: 8 },
  {
    arbitrary: fc.record({
      kind: fc.constant("burst" as const),
      request: fc.oneof(...keyedOperations.map((operation) => requestArb(operation, true))),
      copies: fc.integer({ min: 3, max: 5 }),
      waits: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant("retry" as const), pick: fc.nat(), instance: instanceArb, prefer: fc.constantFrom(undefined, "wait=1") }),
    weight: 2,
  },
);
const runArb = fc.array(stepArb, { minLength: 1, maxLength: 3 });

// ------------------------------------------------------------------ state learnt from the answers

type Resources = {
  user: ChaosUser;
  payments: string[];
  refunds: Array<{ id: string; paymentId: string }>;
  /** Keys of this user that may be revoked: never the one the fuzzer signs with. */
  revocableApiKeyIds: string[];
  activeApiKeyId: string;
  cursors: string[];
  /** Idempotency keys sent, normalised as the server reads them. */
  keys: string[];
};

/** A request as it goes on the wire. */
type Concrete = {
  plan: RequestPlan;
  instanceUrl: string;
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: string | Buffer[];
  /** Header bytes node:http refuses to send (control characters): written by sendRaw. */
  raw: boolean;
  /** The Idempotency-Key as the server reads it, when it is one valid key. */
  key?: string;
  /** The sender's own X-Request-Id, when it is one the server must keep. */
  requestId?: string;
};

type Exchange = { request: Concrete; answer: HttpAnswer };

const { instances, emulatorUrl, revokedApiKey } = chaosContext();
const users = ROLES.map((role) => chaosUser(role));
const resources: Resources[] = [];
const validator = openApiValidator();
const agent = keepAliveAgent(16);
const tally = createTally();
const started = performance.now();
/** Every answer to a keyed request with a valid key, per `${user id} ${key}`. */
const keyedAnswers = new Map<string, Exchange[]>();
/** Keyed requests with a valid key, for retry steps. */
const keyedHistory: Concrete[] = [];
const byOperation = new Map<string, Map<number, number>>();
const counters = { runs: 0, requests: 0, skipped: 0, fresh: 0, signUps: 0, failures: 0, documented503: 0, refusedByHttp: 0 };
let inFlight: Promise<unknown> = Promise.resolve();

function resolveRequest(plan: RequestPlan): Concrete {
  const own = resources[plan.actor]!;
  const other = resources[1 - plan.actor]!;
  const segments = plan.template.split("/");
  const values: Record<string, string> = {};
  // A refund named with its own payment, when both are the actor's: a path that can answer 200.
  const refundParam = Object.entries(plan.pathParams).find(([name]) => resourceKind(plan.template, name) === "refund");
  for (const [name, id] of Object.entries(plan.pathParams)) values[name] = resolveId(id, resourceKind(plan.template, name), own, other);
  if (refundParam && refundParam[1].kind === "own" && own.refunds.length > 0) {
    const refund = own.refunds[refundParam[1].index % own.refunds.length]!;
    for (const [name, id] of Object.entries(plan.pathParams)) if (resourceKind(plan.template, name) === "payment" && id.kind === "own") values[name] = refund.paymentId;
  }
  const path = segments.map((segment) => segment.replace(/^\{([^}]+)\}$/, (_, name: string) => values[name] ?? segment)).join("/");
  const query = plan.query.map(([name, value]) => `${name}=${value.kind === "text" ? value.value : seenCursor(own, value.index)}`).join("&");

  const headers: Record<string, string | string[]> = { ...plan.extras };
  const auth = authHeaders(plan.auth, own);
  Object.assign(headers, auth);
  const key = plan.key ? keyHeader(plan.key) : undefined;
  if (key !== undefined) headers["Idempotency-Key"] = key;
  Object.assign(headers, plan.headerParams);
  if (plan.contentType !== undefined) headers["Content-Type"] = plan.contentType;
  const body = bodyBytes(plan.body);
  const flat = Object.values(headers).flat();
  return {
    plan,
    instanceUrl: instances[plan.instance],
    method: plan.method,
    path: query ? `${path}?${query}` : path,
    headers,
    body,
    raw: flat.some((value) => /[^\t\x20-\x7e\x80-\xff]/.test(value)),
    key: key === undefined ? undefined : (normaliseKey(key) ?? undefined),
    requestId: typeof headers["X-Request-Id"] === "string" && /^[A-Za-z0-9._:-]{8,64}$/.test(headers["X-Request-Id"]) ? headers["X-Request-Id"] : undefined,
  };
}

type ResourceKind = "payment" | "refund" | "api-key" | "idempotency-key" | "any";

/** What a path parameter names, from the path segment before it: `/payments/{id}` is a payment. */
function resourceKind(template: string, name: string): ResourceKind {
  const segments = template.split("/");
  const before = segments[segments.indexOf(`{${name}}`) - 1];
  const kinds: Record<string, ResourceKind> = { payments: "payment", refunds: "refund", "api-keys": "api-key", "idempotency-keys": "idempotency-key" };
  return kinds[before ?? ""] ?? "any";
}

function resolveId(id: IdPlan, kind: ResourceKind, own: Resources, other: Resources): string {
  if (id.kind === "uuid") return kind === "idempotency-key" ? percentEncode(`never-sent-${id.value}`) : id.value;
  if (id.kind === "literal") return id.value;
  const owner = id.kind === "own" ? own : other;
  const candidates: string[] = {
    payment: owner.payments,
    refund: owner.refunds.map((refund) => refund.id),
    // The other user's signing key too: revoking it as the actor must be a 404.
    "api-key": id.kind === "own" ? owner.revocableApiKeyIds : [...owner.revocableApiKeyIds, owner.activeApiKeyId],
    "idempotency-key": owner.keys.length > 0 ? owner.keys : KEY_POOL,
    any: [...owner.payments, ...owner.revocableApiKeyIds],
  }[kind];
  if (candidates.length === 0) return "00000000-0000-4000-8000-000000000000";
  const value = candidates[id.index % candidates.length]!;
  if (kind === "idempotency-key") return percentEncode(id.kind === "own" && id.variant === "quoted" ? `"${value}"` : value);
  if (id.kind === "own" && id.variant === "upper") return value.toUpperCase();
  return value;
}

function seenCursor(own: Resources, index: number): string {
  return own.cursors.length === 0 ? "" : percentEncode(own.cursors[index % own.cursors.length]!);
}

function authHeaders(auth: AuthPlan, own: Resources): Record<string, string> {
  switch (auth.kind) {
    case "none":
      return {};
    case "actor":
      return { Authorization: `${auth.scheme}${own.user.apiKey}` };
    case "revoked":
      return { Authorization: `Bearer ${revokedApiKey}` };
    case "header":
      return { [auth.name]: auth.value };
    case "cookie":
      return { Cookie: `${auth.name}=forged.jwt.value`, ...(auth.sameOrigin ? { "Sec-Fetch-Site": "same-origin" } : {}) };
  }
}

function keyHeader(key: KeyPlan): string | string[] | undefined {
  switch (key.kind) {
    case "missing":
      return undefined;
    case "pool":
      return key.quoted ? `"${KEY_POOL[key.index]}"` : KEY_POOL[key.index]!;
    case "fresh":
      return `fresh-${++counters.fresh}`;
    case "schema":
      return key.value;
    case "invalid":
      return key.value;
    case "repeated":
      return key.indexes.map((index) => KEY_POOL[index]!);
  }
}

/** The key the server reads from the header (parse-idempotency-key.ts), or null where it refuses it. */
function normaliseKey(header: string | string[]): string | null {
  if (Array.isArray(header)) return null;
  const value = header.trim();
  let key: string | null;
  if (!value.startsWith('"') && !value.endsWith('"')) key = value.includes(",") ? null : value;
  else if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) key = null;
  else key = /["\\]/.test(value.slice(1, -1)) ? null : value.slice(1, -1);
  return key !== null && /^[\x20-\x7E]{1,255}$/.test(key) && key.trim() !== "" ? key : null;
}

function bodyBytes(body: BodyPlan): string | Buffer[] | undefined {
  if (body.kind === "none") return undefined;
  if (body.kind === "json") return JSON.stringify(body.value);
  const json = JSON.stringify(body.base);
  switch (body.raw) {
    case "not-json":
      return "amount=2500&currency=eur";
    case "truncated":
      return json.slice(0, Math.floor(json.length * body.at));
    case "empty":
      return "";
    case "20KiB":
      return JSON.stringify({ ...(body.base as Json), description: "x".repeat(20 * 1024) });
    case "bom":
      return `\ufeff${json}`;
    case "nested":
      return `${"[".repeat(5_000)}${"]".repeat(5_000)}`;
    case "duplicate-keys":
      return json === "{}" ? '{"a":1,"a":2}' : `{"amount":1,${json.slice(1)}`;
    case "overflow-number":
      return json === "{}" ? '{"amount":1e400}' : `{"amount":1e400,${json.slice(1)}`;
    case "nul":
      return "\u0000";
    case "chunked": {
      const bytes = Buffer.from(json, "utf8");
      const at = Math.floor(bytes.length * body.at);
      return [bytes.subarray(0, at), bytes.subarray(at)];
    }
    case "invalid-utf8":
      return Buffer.concat([Buffer.from('{"description":"', "utf8"), Buffer.from([0xff, 0xfe, 0xc0]), Buffer.from('"}', "utf8")]).toString("latin1");
  }
}

// ------------------------------------------------------------------ sending and checking

async function exchange(request: Concrete): Promise<HttpAnswer> {
  if (!request.raw) {
    // Framed explicitly: node:http sends a GET's or DELETE's body with neither Content-Length nor chunking.
    const length: Record<string, string> = typeof request.body === "string" ? { "Content-Length": String(Buffer.byteLength(request.body, "utf8")) } : {};
    const message: HttpRequest = { method: request.method, path: request.path, headers: { ...request.headers, ...length }, body: request.body };
    try {
      return await send(request.instanceUrl, message, agent);
    } catch (error) {
      return { status: 0, headers: {}, body: "", error: `node:http refused to send it: ${String(error)}`, ms: 0 };
    }
  }
  // Control characters in a header: written byte for byte (the body as its UTF-8 bytes).
  const body = typeof request.body === "string" ? Buffer.from(request.body, "utf8") : Buffer.concat(request.body ?? []);
  const head = [
    `${request.method} ${request.path} HTTP/1.1`,
    `Host: ${new URL(request.instanceUrl).host}`,
    ...Object.entries(request.headers).flatMap(([name, value]) => [value].flat().map((line) => `${name}: ${line}`)),
    `Content-Length: ${body.length}`,
  ].join("\r\n");
  const answer = await sendRaw(request.instanceUrl, head, body.toString("latin1"));
  return { ...answer, body: Buffer.from(answer.body, "latin1").toString("utf8") };
}

/** Every way `answer` breaks the contract; empty when it keeps it. */
function problemsOf(request: Concrete, answer: HttpAnswer): string[] {
  if (answer.status === 0) return [`no answer: ${answer.error ?? "?"}`];
  // docs/API.md: a header with a control character never reaches the app; Node.js answers a bare 400.
  if (request.raw && answer.status === 400 && answer.headers["x-request-id"] === undefined) {
    counters.refusedByHttp += 1;
    return [];
  }
  const problems: string[] = [];
  if (answer.status >= 500 && answer.status !== 503) problems.push(`${answer.status}: a server error`);
  if (answer.status === 503 && !DOCUMENTED_503.has(String(parseJson(answer.body)?.code))) problems.push(`503 with code ${String(parseJson(answer.body)?.code)}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined) headers.append(name, value);
  problems.push(...validator.check(request.method, request.path, { status: answer.status, headers, body: answer.body }));
  if (request.method === "HEAD" || answer.status === 204) return problems;
  const requestId = answer.headers["x-request-id"];
  if (request.requestId && requestId !== request.requestId) problems.push(`X-Request-Id ${request.requestId} was sent, ${String(requestId)} came back`);
  if (answer.headers["content-type"]?.startsWith("application/problem+json") && answer.headers["idempotent-replayed"] !== "true") {
    const problem = parseJson(answer.body);
    if (problem && problem.requestId !== requestId) problems.push(`the problem's requestId ${String(problem.requestId)} is not its X-Request-Id ${String(requestId)}`);
  }
  return problems;
}

/** Sends one request, checks its answer, and learns the ids and cursors it hands out. */
async function perform(request: Concrete): Promise<HttpAnswer> {
  const answer = await exchange(request);
  counters.requests += 1;
  tally.count(answer);
  const label = request.plan.fixture ? `(fixture) ${request.plan.operation}` : request.plan.operation;
  const statuses = byOperation.get(label) ?? new Map<number, number>();
  statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
  byOperation.set(label, statuses);
  const problems = problemsOf(request, answer);
  if (answer.status === 503) counters.documented503 += 1;
  if (problems.length > 0) {
    counters.failures += 1;
    throw new Error(describeExchange(request, answer, problems));
  }
  learn(request, answer);
  return answer;
}

function learn(request: Concrete, answer: HttpAnswer): void {
  const own = resources[request.plan.actor]!;
  const operation = OPERATIONS.find((candidate) => candidate.id === request.plan.operation);
  if (request.key !== undefined && operation?.keyed) {
    if (!own.keys.includes(request.key)) own.keys.push(request.key);
    const entry = `${own.user.id} ${request.key}`;
    keyedAnswers.set(entry, [...(keyedAnswers.get(entry) ?? []), { request, answer }]);
  }
  if (answer.status >= 300 && answer.status !== 402) return;
  // Whatever the answer names: payments (by paymentIntentId), refunds (by stripeRefundId), cursors.
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== "object" || value === null) return;
    const object = value as Json;
    if (typeof object.id === "string" && typeof object.paymentIntentId === "string" && !own.payments.includes(object.id)) own.payments.push(object.id);
    if (typeof object.id === "string" && typeof object.paymentId === "string" && typeof object.stripeRefundId === "string" && !own.refunds.some((r) => r.id === object.id)) {
      own.refunds.push({ id: object.id, paymentId: object.paymentId });
    }
    if (typeof object.nextCursor === "string" && !own.cursors.includes(object.nextCursor)) own.cursors.push(object.nextCursor);
    Object.values(object).forEach(visit);
  };
  visit(parseJson(answer.body));
}

async function runStep(step: Step): Promise<void> {
  if (step.kind === "retry") {
    if (keyedHistory.length === 0) return;
    const earlier = keyedHistory[step.pick % keyedHistory.length]!;
    const headers = { ...earlier.headers };
    delete headers.Prefer;
    if (step.prefer) headers.Prefer = step.prefer;
    await perform({ ...earlier, instanceUrl: instances[step.instance], headers, plan: { ...earlier.plan, instance: step.instance } });
    return;
  }
  if (step.request.operation === "signUp") {
    if (counters.signUps >= SIGN_UP_BUDGET) {
      counters.skipped += 1;
      return;
    }
    counters.signUps += 1;
  }
  const request = resolveRequest(step.request);
  if (request.key !== undefined && step.request.key?.kind !== "invalid") keyedHistory.push(request);
  if (step.kind === "single") {
    await perform(request);
    return;
  }
  // Identical copies at once, alternating instances; some would rather wait than get a 409.
  const copies = Array.from({ length: step.copies }, (_, i): Concrete => {
    const instance = i % 2 === 0 ? step.request.instance : step.request.instance === "a" ? "b" : "a";
    const headers = { ...request.headers };
    if (step.waits[i]) headers.Prefer = "wait=1";
    return { ...request, headers, instanceUrl: instances[instance], plan: { ...request.plan, instance } };
  });
  const results = await Promise.allSettled(copies.map(perform));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed) throw failed.reason;
}

function describeExchange(request: Concrete, answer: HttpAnswer, problems: string[]): string {
  const redact = (text: string) => users.reduce((out, user) => out.replaceAll(user.apiKey, `<api key of ${user.email}>`), text);
  const body = request.body === undefined ? "(none)" : typeof request.body === "string" ? request.body : `chunks: ${request.body.map((chunk) => chunk.toString("utf8")).join(" | ")}`;
  return redact(
    [
      `the answer breaks the contract (seed ${SEED}):`,
      ...problems.map((problem) => `  - ${problem}`),
      `request (${request.plan.operation}, instance ${request.plan.instance}${request.raw ? ", raw bytes" : ""}):`,
      `  ${request.method} ${clip(request.path, 300)}`,
      ...Object.entries(request.headers).map(([name, value]) => `  ${name}: ${clip(JSON.stringify(value), 300)}`),
      `  body: ${clip(JSON.stringify(body), 600)}`,
      `answer: ${answer.status} in ${answer.ms} ms`,
      ...Object.entries(answer.headers).map(([name, value]) => `  ${name}: ${clip(String(value), 300)}`),
      `  body: ${clip(answer.body, 1_000)}`,
    ].join("\n"),
  );
}

// ------------------------------------------------------------------ the tests

beforeAll(async () => {
  await emulator.resetFaults();
  for (const [index, user] of users.entries()) {
    const [active] = await sql<{ id: string }>("SELECT id::text FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL", [user.id]);
    // Keys this user may revoke without losing the one it signs with (only a session can create them).
    const revocable = await sql<{ id: string }>(
      `INSERT INTO api_keys (id, user_id, name, prefix, hash)
       SELECT gen_random_uuid(), $1::uuid, 'spec-fuzz revocable', 'ipk_fuzzfuzz', encode(sha256(gen_random_uuid()::text::bytea), 'hex')
       FROM generate_series(1, 2) RETURNING id::text`,
      [user.id],
    );
    resources[index] = { user, payments: [], refunds: [], revocableApiKeyIds: revocable.map((row) => row.id), activeApiKeyId: active!.id, cursors: [], keys: [] };
  }
  // A few payments of each kind and a refund per user, so ids name real resources from the first run.
  for (const [index, user] of users.entries()) {
    for (const [n, paymentMethod] of ["pm_card_visa", "pm_card_visa", "pm_card_chargeDeclined", "pm_card_authenticationRequired"].entries()) {
      const request = paymentRequest(user.apiKey, `fixture-${n}`, { ...VISA_PAYMENT, paymentMethod });
      const plan = fixturePlan("createPayment", index as 0 | 1);
      const concrete: Concrete = { plan, instanceUrl: instances.a, method: "POST", path: request.path, headers: request.headers!, body: request.body as string, raw: false, key: `fixture-${n}` };
      await perform(concrete);
    }
    const paymentId = resources[index]!.payments[0]!;
    const refund: Concrete = {
      plan: fixturePlan("createRefund", index as 0 | 1),
      instanceUrl: instances.b,
      method: "POST",
      path: `/api/payments/${paymentId}/refunds`,
      headers: { Authorization: `Bearer ${user.apiKey}`, "Content-Type": "application/json", "Idempotency-Key": "fixture-refund" },
      body: JSON.stringify({ amount: 100 }),
      raw: false,
      key: "fixture-refund",
    };
    await perform(refund);
  }
  expect(resources.map((r) => [r.payments.length, r.refunds.length])).toEqual([
    [4, 1],
    [4, 1],
  ]);
});

afterAll(async () => {
  agent.destroy();
  appendSummaryRow(`spec fuzz (${counters.runs} runs, seed ${SEED})`, tally, performance.now() - started, counters.failures === 0);
});

function fixturePlan(operation: string, actor: 0 | 1): RequestPlan {
  const found = OPERATIONS.find((candidate) => candidate.id === operation)!;
  return {
    operation,
    method: found.method,
    template: found.template,
    actor,
    instance: "a",
    auth: { kind: "actor", scheme: "Bearer " },
    pathParams: {},
    query: [],
    headerParams: {},
    body: { kind: "none" },
    extras: {},
    fixture: true,
  };
}

describe("spec fuzz", () => {
  it("generates from the document's schemas what Ajv accepts, and mutations that break them as they say", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema(document, "openapi.json");
    const targets: Array<[string, JsonSchema, PropertyHints]> = [
      ...Object.keys((document.components as unknown as { schemas: Json }).schemas).map(
        (name): [string, JsonSchema, PropertyHints] => [name, { $ref: `#/components/schemas/${name}` }, {}],
      ),
      ...OPERATIONS.filter((operation) => operation.body).map((operation): [string, JsonSchema, PropertyHints] => [`${operation.id} body`, operation.body!, BODY_HINTS[operation.id] ?? {}]),
      ...OPERATIONS.flatMap((operation) =>
        operation.parameters.filter((p) => p.schema).map((p): [string, JsonSchema, PropertyHints] => [`${operation.id} ${p.in} ${p.name}`, p.schema!, {}]),
      ),
    ];
    for (const [name, schema, hints] of targets) {
      const validate = ajv.compile(withRefsInto(schema));
      fc.assert(
        fc.property(schemas.valid(schema, hints), (value) => {
          if (!validate(value)) throw new Error(`${name}: generated ${JSON.stringify(value)} is refused: ${ajv.errorsText(validate.errors)}`);
        }),
        { numRuns: 100, seed: SEED },
      );
      fc.assert(
        fc.property(schemas.invalid(schema, hints), (mutated) => {
          if (validate(mutated.value) === mutated.breaksSchema) {
            throw new Error(`${name}: "${mutated.mutation}" ${mutated.breaksSchema ? "should break" : "should keep"} the schema: ${JSON.stringify(mutated.value)}`);
          }
        }),
        { numRuns: 100, seed: SEED },
      );
    }
    // Every operation of the document is fuzzed: none is left out of the walk.
    expect(OPERATIONS.length).toBe(Object.values(document.paths).reduce((n, methods) => n + Object.keys(methods).length, 0));
  });

  it(
    `answers every request generated from the document as the document says, never 5xx but a documented 503 (≤ ${RUNS} runs, ≤ ${TIME_LIMIT_MS / 1000} s)`,
    async ({ annotate }) => {
      const property = fc.asyncProperty(runArb, async (steps) => {
        counters.runs += 1;
        const run = (async () => {
          for (const step of steps) await runStep(step);
        })();
        inFlight = run.catch(() => {});
        await run;
      });
      try {
        await fc.assert(property, { numRuns: RUNS, seed: SEED, endOnFailure: !SHRINK, plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS)] });
      } finally {
        await inFlight; // an interrupted run keeps going: let it finish before anything is counted
        await annotate(distribution());
      }
      const untried = OPERATIONS.filter((operation) => !byOperation.has(operation.id)).map((operation) => operation.id);
      expect(untried, "operations of the document that no request reached").toEqual([]);
      // Enough of the generated requests were valid that money really moved, more than once.
      const created = (operation: string) => byOperation.get(operation)?.get(201) ?? 0;
      expect(created("createPayment"), "payments the fuzzer made").toBeGreaterThanOrEqual(10);
      expect(created("createRefund"), "refunds the fuzzer made").toBeGreaterThanOrEqual(3);
    },
    TIME_LIMIT_MS + 60_000,
  );

  it("leaves one PaymentIntent at most per (user, Idempotency-Key), and the database agrees with the emulator", async ({ annotate }) => {
    await inFlight;
    await emulator.flushWebhooks(); // let webhook deliveries settle the statuses
    const violations: string[] = [];
    let expected = 0;
    let created = 0;
    const seen = { keyRows: 0, payments: 0, stripeRefunds: 0, refunds: 0, keysReplayed: 0 };
    for (const { user } of resources) {
      const intents = await emulator.paymentIntents({ user_id: user.id });
      const keyRows = await sql<{ id: string; key: string; method: string; path: string; recovery_point: string; lock_token: string | null; response_status: number | null; stripe_object_id: string | null }>(
        "SELECT id::text, key, method, path, recovery_point::text, lock_token::text, response_status, stripe_object_id FROM idempotency_keys WHERE user_id = $1",
        [user.id],
      );
      const payments = await sql<{ id: string; amount: number; currency: string; status: string; stripe_payment_intent_id: string; idempotency_key_id: string | null }>(
        "SELECT id::text, amount, currency, status::text, stripe_payment_intent_id, idempotency_key_id::text FROM payments WHERE user_id = $1",
        [user.id],
      );
      const refunds = await sql<{ id: string; stripe_refund_id: string; idempotency_key_id: string | null }>(
        "SELECT id::text, stripe_refund_id, idempotency_key_id::text FROM refunds WHERE user_id = $1",
        [user.id],
      );
      const stripeRefunds = await refundsAtStripe(user.id);
      const rowById = new Map(keyRows.map((row) => [row.id, row]));
      seen.keyRows += keyRows.length;
      seen.payments += payments.length;
      seen.stripeRefunds += stripeRefunds.length;
      seen.refunds += refunds.length;
      const paymentKeyRows = keyRows.filter((row) => row.method === "POST" && row.path === "/api/payments");
      expected += paymentKeyRows.filter((row) => row.response_status === 201 || row.response_status === 402).length;
      created += intents.length;

      // At most one PaymentIntent per key row, and per (user, key): the metadata names the row.
      const intentsByRow = groupBy(intents, (intent) => intent.metadata.idempotency_key_id ?? "(none)");
      for (const [rowId, group] of intentsByRow) {
        if (group.length > 1) violations.push(`${user.email}: ${group.length} PaymentIntents for key row ${rowId} (${rowById.get(rowId)?.key}): ${group.map((i) => i.id).join(", ")}`);
      }
      for (const intent of intents) {
        const row = rowById.get(intent.metadata.idempotency_key_id ?? "");
        const payment = payments.find((candidate) => candidate.stripe_payment_intent_id === intent.id);
        if (!row) violations.push(`${user.email}: ${intent.id} names key row ${intent.metadata.idempotency_key_id}, which does not exist`);
        else if (row.method !== "POST" || row.path !== "/api/payments") violations.push(`${user.email}: ${intent.id} names key row ${row.id}, a ${row.method} ${row.path} key`);
        if (intent.metadata.payment_id !== intent.metadata.idempotency_key_id) violations.push(`${intent.id}: payment_id ${intent.metadata.payment_id} ≠ idempotency_key_id ${intent.metadata.idempotency_key_id}`);
        if (!payment) {
          violations.push(`${user.email}: ${intent.id} (${intent.status}) is not recorded in payments`);
          continue;
        }
        if (payment.id !== intent.metadata.payment_id) violations.push(`${intent.id}: recorded as payment ${payment.id}, its metadata says ${intent.metadata.payment_id}`);
        const status = DB_STATUS_OF[intent.status] ?? intent.status;
        if (payment.amount !== intent.amount || payment.currency !== intent.currency || payment.status !== status) {
          violations.push(`${intent.id}: Stripe has ${intent.amount} ${intent.currency} ${intent.status}, the payment row ${payment.amount} ${payment.currency} ${payment.status}`);
        }
      }
      for (const payment of payments) {
        if (!intents.some((intent) => intent.id === payment.stripe_payment_intent_id)) violations.push(`${user.email}: payment ${payment.id} names ${payment.stripe_payment_intent_id}, which Stripe does not hold for this user`);
        if (payment.idempotency_key_id !== payment.id) violations.push(`payment ${payment.id} was made by key row ${payment.idempotency_key_id}`);
      }
      for (const row of keyRows) {
        if (row.recovery_point !== "finished" || row.lock_token !== null) violations.push(`${user.email}: key ${JSON.stringify(row.key)} is left ${row.recovery_point} (lock ${row.lock_token})`);
      }
      for (const row of paymentKeyRows.filter((r) => r.stripe_object_id !== null)) {
        if (!intents.some((intent) => intent.id === row.stripe_object_id)) violations.push(`key ${JSON.stringify(row.key)} names ${row.stripe_object_id}, which Stripe does not hold`);
      }

      // Refunds: at most one at Stripe per refund key row, each recorded once.
      for (const [rowId, group] of groupBy(stripeRefunds, (refund) => refund.metadata.idempotency_key_id ?? "(none)")) {
        if (group.length > 1) violations.push(`${user.email}: ${group.length} Stripe refunds for key row ${rowId}: ${group.map((r) => r.id).join(", ")}`);
      }
      for (const refund of stripeRefunds) {
        const row = refunds.find((candidate) => candidate.stripe_refund_id === refund.id);
        if (!row) violations.push(`${user.email}: Stripe refund ${refund.id} is not recorded`);
        else if (row.id !== refund.metadata.refund_id) violations.push(`${refund.id}: recorded as ${row.id}, its metadata says ${refund.metadata.refund_id}`);
      }
      for (const row of refunds) {
        if (!stripeRefunds.some((refund) => refund.id === row.stripe_refund_id)) violations.push(`refund ${row.id} names ${row.stripe_refund_id}, which Stripe did not create for this user`);
      }

      // What the clients saw: per key, one first answer at most, and every other final answer its replay.
      for (const [entry, exchanges] of keyedAnswers) {
        if (!entry.startsWith(`${user.id} `)) continue;
        const key = entry.slice(user.id.length + 1);
        const finals = exchanges.filter(({ answer }) => answer.status === 201 || answer.status === 402);
        const firsts = finals.filter(({ answer }) => answer.headers["idempotent-replayed"] !== "true");
        if (finals.length > firsts.length) seen.keysReplayed += 1;
        if (firsts.length > 1) violations.push(`${user.email} key ${JSON.stringify(key)}: ${firsts.length} answers were not replays: ${firsts.map(({ answer }) => answer.status).join(", ")}`);
        if (new Set(finals.map(({ answer }) => answer.body)).size > 1) violations.push(`${user.email} key ${JSON.stringify(key)}: retries got different answers`);
        const row = keyRows.find((candidate) => candidate.key === key);
        if (finals.length > 0 && !row) violations.push(`${user.email} key ${JSON.stringify(key)}: answered ${finals[0]!.answer.status}, but no key row is stored`);
        const madePayment = finals.find(({ request }) => request.plan.operation === "createPayment");
        if (madePayment && row) {
          const body = parseJson(madePayment.answer.body) as { id?: string; payment?: { id?: string } } | undefined;
          const id = body?.payment?.id ?? body?.id;
          if (id !== row.id) violations.push(`${user.email} key ${JSON.stringify(key)}: answered payment ${id}, the key row is ${row.id}`);
        }
      }
    }
    tally.paymentIntentsExpected = expected;
    tally.paymentIntentsCreated = created;
    await annotate(
      `checked: ${created} PaymentIntents for ${expected} finished payment keys, ${seen.payments} payment rows, ${seen.keyRows} key rows, ` +
        `${seen.stripeRefunds} Stripe refunds / ${seen.refunds} refund rows, ${seen.keysReplayed} keys replayed; ${violations.length} violations`,
    );
    expect(violations).toEqual([]);
  });
});

// ------------------------------------------------------------------ helpers

type StripeRefund = { id: string; metadata: Record<string, string> };

/** Refunds made at the emulator for a user, from its refund.created events (its admin API lists no refunds). */
async function refundsAtStripe(userId: string): Promise<StripeRefund[]> {
  const response = await fetch(`${emulatorUrl}/_emulator/events?type=refund.created`);
  if (!response.ok) throw new Error(`emulator events: ${response.status}`);
  const { data } = (await response.json()) as { data: Array<{ data: { object: StripeRefund } }> };
  const refunds = data.map((event) => event.data.object).filter((refund) => refund.metadata?.user_id === userId);
  return [...new Map(refunds.map((refund) => [refund.id, refund])).values()];
}

function distribution(): string {
  const overall = new Map<number, number>();
  const lines = [...byOperation.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, statuses]) => {
      for (const [status, n] of statuses) overall.set(status, (overall.get(status) ?? 0) + n);
      return `  ${operation}: ${format(statuses)}`;
    });
  return [
    `spec fuzz, seed ${SEED}: ${counters.runs} runs, ${counters.requests} requests (${counters.fresh} fresh keys, ${counters.documented503} documented 503s, ` +
      `${counters.refusedByHttp} refused by the HTTP server before the app, ${counters.skipped} sign-ups skipped over budget)`,
    `  all: ${format(overall)}`,
    ...lines,
  ].join("\n");
}

function format(statuses: Map<number, number>): string {
  return [...statuses.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status}×${n}`)
    .join(" ");
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}

/** `schema` with its local `$ref`s pointing into the document Ajv was given. */
function withRefsInto(schema: JsonSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"openapi.json#/')) as JsonSchema;
}

/** Percent-encodes every byte of the UTF-8 form but the unreserved characters (a lone surrogate becomes U+FFFD). */
function percentEncode(text: string): string {
  return [...Buffer.from(text, "utf8")].map((byte) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`)).join("");
}

/** A header value node:http will send: characters above U+00FF as their UTF-8 bytes. */
function latin1Safe(text: string): string {
  return /[^\x00-\xff]/.test(text) ? Buffer.from(text, "utf8").toString("latin1") : text;
}

function parseJson(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}
