import { randomUUID } from "node:crypto";
import Stripe from "stripe";
import type { ErrorCode } from "@/lib/error-codes";
import type { HttpRequest } from "../chaos/http-client";

/** What the cases need from the live app: made by corpus.test.ts before the first case. */
export type CorpusFixtures = {
  /** The corpus user's API key, and one of its succeeded and one of its declined payments. */
  apiKey: string;
  paymentId: string;
  declinedPaymentId: string;
  /** A payment of another user. */
  otherUsersPaymentId: string;
  revokedApiKey: string;
  webhookSecret: string;
};

/**
 * The exact Latin-1 bytes of a request's head (request line and headers): for control
 * characters, which node:http refuses to put in a header.
 */
export type RawRequest = { rawHead: string };

export type CorpusCase = {
  name: string;
  request: HttpRequest | RawRequest;
  expect: {
    status: number;
    /** null: refused by the HTTP server itself before the app runs (no problem+json). */
    code: ErrorCode | null;
    /** Rows and PaymentIntents the case creates; none unless stated. */
    writes?: { idempotencyKeys: number; payments: number; paymentIntents: number };
  };
};

const VALID = { amount: 2_500, currency: "eur", paymentMethod: "pm_card_visa" } as const;
/** A hostile value accepted as data: stored verbatim as one payment, nothing else touched. */
const ONE_PAYMENT = { idempotencyKeys: 1, payments: 1, paymentIntents: 1 };
const SQL = "'; DROP TABLE payments; --";

type PayOptions = {
  /** Default: a fresh key. null: no header. An array: the header sent once per element. */
  key?: string | string[] | null;
  body?: string;
  /** Default: application/json. null: no Content-Type. */
  contentType?: string | null;
  /** Default: the fixture's key. null: no Authorization. */
  authorization?: string | null;
  headers?: Record<string, string>;
  /** Several chunks: sent without Content-Length. */
  chunks?: Buffer[];
};

/** The 60-odd hostile or broken requests, by area. docs/API.md documents every outcome. */
export function corpusCases(f: CorpusFixtures): CorpusCase[] {
  const bearer = `Bearer ${f.apiKey}`;

  const pay = (options: PayOptions = {}): HttpRequest => {
    const headers: Record<string, string | string[]> = { ...options.headers };
    const authorization = options.authorization === undefined ? bearer : options.authorization;
    if (authorization !== null) headers.Authorization = authorization;
    const key = options.key === undefined ? `corpus-${randomUUID()}` : options.key;
    if (key !== null) headers["Idempotency-Key"] = key;
    const contentType = options.contentType === undefined ? "application/json" : options.contentType;
    if (contentType !== null) headers["Content-Type"] = contentType;
    return { method: "POST", path: "/api/payments", headers, body: options.chunks ?? options.body ?? JSON.stringify(VALID) };
  };
  const payWith = (fields: Record<string, unknown>, options: PayOptions = {}) => pay({ ...options, body: JSON.stringify(fields) });
  const refund = (paymentId: string, body: string, options: { key?: string | null; contentType?: string; authorization?: string } = {}) => {
    const headers: Record<string, string> = {
      Authorization: options.authorization ?? bearer,
      "Content-Type": options.contentType ?? "application/json",
    };
    const key = options.key === undefined ? `corpus-refund-${randomUUID()}` : options.key;
    if (key !== null) headers["Idempotency-Key"] = key;
    return { method: "POST", path: `/api/payments/${paymentId}/refunds`, headers, body };
  };
  const get = (path: string, authorization: string | null = bearer): HttpRequest => ({
    method: "GET",
    path,
    headers: authorization === null ? {} : { Authorization: authorization },
  });
  const webhook = (payload: string, signature: string | null): HttpRequest => ({
    method: "POST",
    path: "/api/webhooks/stripe",
    headers: { "Content-Type": "application/json", ...(signature === null ? {} : { "Stripe-Signature": signature }) },
    body: payload,
  });
  /** A raw POST /api/payments whose Idempotency-Key value is `key`, byte for byte. */
  const rawKey = (key: string) =>
    ["POST /api/payments HTTP/1.1", "Host: 127.0.0.1", `Authorization: ${bearer}`, `Idempotency-Key: ${key}`].join("\r\n");
  const sign = (payload: string, options: { secret?: string; timestamp?: number } = {}) =>
    Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? f.webhookSecret, timestamp: options.timestamp });
  const event = JSON.stringify({
    id: `evt_corpus_${randomUUID().replaceAll("-", "")}`,
    object: "event",
    type: "payment_intent.succeeded",
    data: { object: { id: "pi_corpus", object: "payment_intent", amount: 2_500, currency: "eur", metadata: {} } },
  });
  const cursor = (decoded: string) => encodeURIComponent(Buffer.from(decoded).toString("base64url"));
  const twice = `corpus-${randomUUID()}`;

  const unauthorized = (name: string, request: HttpRequest): CorpusCase => ({ name, request, expect: { status: 401, code: "unauthorized" } });
  const crossSite = (name: string, request: HttpRequest): CorpusCase => ({ name, request, expect: { status: 403, code: "forbidden_origin" } });
  const badKey = (name: string, key: string | string[]): CorpusCase => ({
    name,
    request: pay({ key }),
    expect: { status: 400, code: "idempotency_key_invalid" },
  });
  const refusedByHttp = (name: string, key: string): CorpusCase => ({
    name,
    request: { rawHead: rawKey(key) },
    expect: { status: 400, code: null },
  });
  const invalid = (name: string, fields: Record<string, unknown>): CorpusCase => ({
    name,
    request: payWith(fields),
    expect: { status: 400, code: "invalid_request" },
  });
  const invalidJson = (name: string, body: string): CorpusCase => ({ name, request: pay({ body }), expect: { status: 400, code: "invalid_json" } });
  const wrongType = (name: string, contentType: string | null, body?: string): CorpusCase => ({
    name,
    request: pay({ contentType, body }),
    expect: { status: 415, code: "unsupported_media_type" },
  });
  const accepted = (name: string, request: HttpRequest): CorpusCase => ({
    name,
    request,
    expect: { status: 201, code: null, writes: ONE_PAYMENT },
  });
  const notFound = (name: string, request: HttpRequest): CorpusCase => ({ name, request, expect: { status: 404, code: "not_found" } });
  const forged = (name: string, request: HttpRequest): CorpusCase => ({
    name,
    request,
    expect: { status: 400, code: "webhook_signature_invalid" },
  });
  const notAllowed = (name: string, method: string, path: string): CorpusCase => ({
    name,
    request: { method, path, headers: { Authorization: bearer } },
    expect: { status: 405, code: "method_not_allowed" },
  });

  return [
    // ------------------------------------------------------------------ credentials
    unauthorized("no Authorization header", pay({ authorization: null })),
    unauthorized("empty Authorization header", pay({ authorization: "" })),
    unauthorized("Bearer without a token", pay({ authorization: "Bearer" })),
    unauthorized("Basic credentials", pay({ authorization: "Basic dXNlcjpwYXNzd29yZA==" })),
    unauthorized("well-formed but unknown API key", pay({ authorization: `Bearer ipk_${"A".repeat(43)}` })),
    unauthorized("not an API key at all", pay({ authorization: "Bearer not-a-key" })),
    unauthorized("revoked API key", pay({ authorization: `Bearer ${f.revokedApiKey}` })),
    unauthorized("valid key followed by garbage", pay({ authorization: `${bearer} extra` })),
    unauthorized("8 KB bearer token", pay({ authorization: `Bearer ${"x".repeat(8_192)}` })),
    unauthorized("forged session cookie, no API key", pay({ authorization: null, headers: { Cookie: "authjs.session-token=forged.jwt.value" } })),
    unauthorized("GET /api/payments without credentials", get("/api/payments", null)),
    unauthorized("GET own payment with a revoked key", get(`/api/payments/${f.paymentId}`, `Bearer ${f.revokedApiKey}`)),

    // ------------------------------------------------------------------ other sites (src/server/http/same-origin.ts)
    // API keys are not sent by browsers on their own: whatever the Origin, they pay.
    accepted("API key from a foreign Origin", pay({ headers: { Origin: "https://evil.example" } })),
    accepted("API key with Origin: null and Sec-Fetch-Site: cross-site", pay({ headers: { Origin: "null", "Sec-Fetch-Site": "cross-site" } })),
    crossSite("no credentials, from a foreign Origin", pay({ authorization: null, headers: { Origin: "https://evil.example" } })),
    crossSite("forged session cookie, Sec-Fetch-Site: cross-site", pay({ authorization: null, headers: { Cookie: "authjs.session-token=forged.jwt.value", "Sec-Fetch-Site": "cross-site" } })),
    crossSite("session cookie with Origin: null (a sandboxed frame)", pay({ authorization: null, headers: { Cookie: "authjs.session-token=x", Origin: "null" } })),
    crossSite("refund from a foreign Origin, no credentials", { ...refund(f.paymentId, "{}"), headers: { "Content-Type": "application/json", "Idempotency-Key": `corpus-${randomUUID()}`, Origin: "https://evil.example" } }),
    crossSite("sign-up from a foreign Origin", {
      method: "POST",
      path: "/api/auth/sign-up",
      headers: { "Content-Type": "application/json", Origin: "http://127.0.0.1.evil.example" },
      body: JSON.stringify({ email: `corpus-${randomUUID()}@example.test`, password: "correct horse battery staple" }),
    }),

    // ------------------------------------------------------------------ Idempotency-Key
    { name: "missing Idempotency-Key", request: pay({ key: null }), expect: { status: 400, code: "idempotency_key_missing" } },
    badKey("empty Idempotency-Key", ""),
    badKey("whitespace-only Idempotency-Key", "   "),
    badKey("256-character Idempotency-Key (one over)", "k".repeat(256)),
    badKey("2000-character Idempotency-Key", "k".repeat(2_000)),
    // UTF-8 bytes, written as Latin-1 characters so that node:http puts them on the wire as is.
    badKey("non-ASCII (UTF-8) Idempotency-Key", Buffer.from("clé-ключ-🔑", "utf8").toString("latin1")),
    badKey("Latin-1 byte in Idempotency-Key", "caf\xe9"),
    badKey("tab inside Idempotency-Key", "a\tb"),
    badKey("two quoted Idempotency-Key headers", ['"order-1"', '"order-2"']),
    badKey("two unquoted Idempotency-Key headers", [`corpus-${randomUUID()}`, `corpus-${randomUUID()}`]),
    badKey("the same Idempotency-Key header twice", [twice, twice]),
    badKey("comma-separated list of keys in one Idempotency-Key header", `corpus-${randomUUID()}, corpus-${randomUUID()}`),
    badKey("unbalanced opening quote", '"order-1'),
    badKey("unbalanced closing quote", 'order-1"'),
    badKey("a lone double quote", '"'),
    badKey("empty quoted string", '""'),
    badKey("escaped quote inside a quoted key", '"a\\"b"'),
    badKey("quoted whitespace", '"   "'),
    refusedByHttp("control character (0x01) in Idempotency-Key", "a\x01b"),
    refusedByHttp("NUL in Idempotency-Key", "a\x00b"),
    refusedByHttp("DEL (0x7f) in Idempotency-Key", "a\x7fb"),
    refusedByHttp("CR in Idempotency-Key (header injection)", "a\rX-Injected: 1"),

    // ------------------------------------------------------------------ body: syntax, size, type
    invalidJson("malformed JSON", '{"amount": 2500,'),
    invalidJson("empty body", ""),
    invalidJson("JSON after a byte-order mark", `\ufeff${JSON.stringify(VALID)}`),
    invalidJson("trailing garbage after the JSON", `${JSON.stringify(VALID)} x`),
    invalidJson("single-quoted pseudo-JSON", "{'amount': 2500, 'currency': 'eur', 'paymentMethod': 'pm_card_visa'}"),
    invalidJson("NaN literal", '{"amount": NaN, "currency": "eur", "paymentMethod": "pm_card_visa"}'),
    { name: "JSON null", request: pay({ body: "null" }), expect: { status: 400, code: "invalid_request" } },
    { name: "JSON array", request: pay({ body: JSON.stringify([VALID]) }), expect: { status: 400, code: "invalid_request" } },
    { name: "JSON string", request: pay({ body: '"pay me"' }), expect: { status: 400, code: "invalid_request" } },
    { name: "JSON number", request: pay({ body: "2500" }), expect: { status: 400, code: "invalid_request" } },
    {
      name: "17 KiB JSON with Content-Length",
      request: payWith({ ...VALID, description: "x".repeat(17 * 1024) }),
      expect: { status: 413, code: "payload_too_large" },
    },
    {
      name: "17 KiB JSON streamed without Content-Length",
      request: pay({ chunks: [Buffer.from(`{"description": "${"x".repeat(9_000)}`), Buffer.from(`${"x".repeat(9_000)}"}`)] }),
      expect: { status: 413, code: "payload_too_large" },
    },
    {
      name: "7000-deep nested arrays (under 16 KiB)",
      request: pay({ body: `{"amount": ${"[".repeat(7_000)}${"]".repeat(7_000)}, "currency": "eur", "paymentMethod": "pm_card_visa"}` }),
      expect: { status: 400, code: "invalid_request" },
    },
    wrongType("no Content-Type", null),
    wrongType("text/plain", "text/plain"),
    wrongType("form-encoded", "application/x-www-form-urlencoded", "amount=2500&currency=eur&paymentMethod=pm_card_visa"),
    wrongType("multipart/form-data", "multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="amount"\r\n\r\n2500\r\n--x--'),
    wrongType("application/jsonp", "application/jsonp"),

    // ------------------------------------------------------------------ body: fields
    invalid("amount as a string", { ...VALID, amount: "2500" }),
    invalid("amount true", { ...VALID, amount: true }),
    invalid("amount null", { ...VALID, amount: null }),
    invalid("amount missing", { currency: "eur", paymentMethod: "pm_card_visa" }),
    invalid("negative amount", { ...VALID, amount: -2_500 }),
    invalid("zero amount", { ...VALID, amount: 0 }),
    invalid("amount below the currency minimum", { ...VALID, amount: 49 }),
    invalid("fractional amount", { ...VALID, amount: 25.5 }),
    { name: "amount 1e309 (Infinity)", request: pay({ body: '{"amount": 1e309, "currency": "eur", "paymentMethod": "pm_card_visa"}' }), expect: { status: 400, code: "invalid_request" } },
    { name: "amount 2^53 + 1", request: pay({ body: '{"amount": 9007199254740993, "currency": "eur", "paymentMethod": "pm_card_visa"}' }), expect: { status: 400, code: "invalid_request" } },
    invalid("amount 1e21", { ...VALID, amount: 1e21 }),
    invalid("amount one over the maximum", { ...VALID, amount: 1_000_001 }),
    invalid("amount as a query operator", { ...VALID, amount: { $gt: 0 } }),
    invalid("amount in an array", { ...VALID, amount: [2_500] }),
    invalid("unknown currency", { ...VALID, currency: "xyz" }),
    invalid("uppercase currency", { ...VALID, currency: "EUR" }),
    invalid("empty currency", { ...VALID, currency: "" }),
    invalid("currency with trailing space", { ...VALID, currency: "eur " }),
    invalid("numeric currency code", { ...VALID, currency: 978 }),
    invalid("SQL in currency", { ...VALID, currency: `eur${SQL}` }),
    invalid("paymentMethod missing", { amount: 2_500, currency: "eur" }),
    invalid("paymentMethod not a pm_ id", { ...VALID, paymentMethod: "card_visa" }),
    invalid("SQL in paymentMethod", { ...VALID, paymentMethod: `pm_card_visa${SQL}` }),
    invalid("200-character paymentMethod", { ...VALID, paymentMethod: `pm_${"a".repeat(200)}` }),
    invalid("empty description", { ...VALID, description: "" }),
    invalid("whitespace-only description", { ...VALID, description: "   " }),
    invalid("501-character description", { ...VALID, description: "d".repeat(501) }),
    invalid("10 KB description", { ...VALID, description: "d".repeat(10_240) }),
    invalid("numeric description", { ...VALID, description: 42 }),
    invalid("NUL in description", { ...VALID, description: "invoice\u0000 42" }),
    {
      // JSON.parse turns the escape back into a lone surrogate, which UTF-8 cannot store as sent.
      name: "lone surrogate in description (JSON escape)",
      request: pay({ body: '{"amount": 2500, "currency": "eur", "paymentMethod": "pm_card_visa", "description": "Order \\ud800 42"}' }),
      expect: { status: 400, code: "invalid_request" },
    },
    invalid("C1 control (NEL) in description", { ...VALID, description: "Order\u0085 42" }),
    invalid("Unicode non-character in description", { ...VALID, description: "Order \uffff42" }),
    invalid("bidi override in description", { ...VALID, description: "invoice\u202efdp.exe" }),
    invalid("extra field: another user's id", { ...VALID, userId: randomUUID() }),
    invalid("extra field: status", { ...VALID, status: "succeeded" }),
    { name: "__proto__ key", request: pay({ body: `{"amount": 2500, "currency": "eur", "paymentMethod": "pm_card_visa", "__proto__": {"isAdmin": true}}` }), expect: { status: 400, code: "invalid_request" } },
    invalid("constructor.prototype key", { ...VALID, constructor: { prototype: { polluted: true } } }),
    { name: "duplicated JSON key, the last one invalid", request: pay({ body: '{"amount": 2500, "currency": "eur", "paymentMethod": "pm_card_visa", "amount": -1}' }), expect: { status: 400, code: "invalid_request" } },

    // ------------------------------------------------------------------ hostile but valid: stored verbatim
    accepted("SQL-looking Idempotency-Key", pay({ key: "' OR '1'='1'; --" })),
    accepted("Idempotency-Key that drops a table", pay({ key: "'; DROP TABLE idempotency_keys; --" })),
    accepted("255-character Idempotency-Key (the maximum)", pay({ key: "k".repeat(255) })),
    accepted("SQL-looking description", payWith({ ...VALID, description: `Robert'); DROP TABLE payments;--` })),
    accepted("HTML in description", payWith({ ...VALID, description: "<script>alert(document.cookie)</script>" })),
    accepted("non-ASCII description", payWith({ ...VALID, description: "Zahlung für Café ☕ — 🚀 ключ" })),

    // ------------------------------------------------------------------ other people's and odd ids
    notFound("another user's payment", get(`/api/payments/${f.otherUsersPaymentId}`)),
    notFound("unknown payment UUID", get(`/api/payments/${randomUUID()}`)),
    notFound("non-UUID payment id", get("/api/payments/abc")),
    notFound("SQL in the payment id", get(`/api/payments/${encodeURIComponent("1' OR '1'='1")}`)),
    notFound("NUL in the payment id", get(`/api/payments/${f.paymentId}%00`)),
    notFound("5000-character payment id", get(`/api/payments/${"a".repeat(5_000)}`)),

    // ------------------------------------------------------------------ list query
    { name: "limit=0", request: get("/api/payments?limit=0"), expect: { status: 400, code: "invalid_request" } },
    { name: "limit=101", request: get("/api/payments?limit=101"), expect: { status: 400, code: "invalid_request" } },
    { name: "limit=abc", request: get("/api/payments?limit=abc"), expect: { status: 400, code: "invalid_request" } },
    { name: "limit=1e309", request: get("/api/payments?limit=1e309"), expect: { status: 400, code: "invalid_request" } },
    { name: "garbage cursor", request: get("/api/payments?cursor=!!!"), expect: { status: 400, code: "invalid_request" } },
    { name: "201-character cursor", request: get(`/api/payments?cursor=${"a".repeat(201)}`), expect: { status: 400, code: "invalid_request" } },
    { name: "NUL in the cursor", request: get("/api/payments?cursor=abc%00"), expect: { status: 400, code: "invalid_request" } },
    {
      name: "forged cursor with a non-UUID id of UUID shape",
      request: get(`/api/payments?cursor=${cursor(`2026-01-01T00:00:00.000Z|${"-".repeat(36)}`)}`),
      expect: { status: 400, code: "invalid_request" },
    },
    {
      name: "forged cursor with a date PostgreSQL cannot hold",
      request: get(`/api/payments?cursor=${cursor(`-271821-04-20T00:00:00.000Z|${randomUUID()}`)}`),
      expect: { status: 400, code: "invalid_request" },
    },
    {
      name: "forged cursor dated year 0",
      request: get(`/api/payments?cursor=${cursor(`0000-01-01T00:00:00.000Z|${randomUUID()}`)}`),
      expect: { status: 400, code: "invalid_request" },
    },

    // ------------------------------------------------------------------ paths whose percent-encoding does not decode
    // Next.js's router would throw decoding them (a bare 500); the proxy takes them literally (src/proxy.ts).
    notFound("payment id %FF (not UTF-8)", get("/api/payments/%FF")),
    notFound("payment id %C0%AF (overlong UTF-8)", get("/api/payments/%C0%AF")),
    notFound("payment id with a lone %", get("/api/payments/%")),
    notFound("refunds of payment %ZZ", get("/api/payments/%ZZ/refunds")),
    notFound("refund %E9t%E9 of an own payment", get(`/api/payments/${f.paymentId}/refunds/%E9t%E9`)),
    notFound("Idempotency-Key %FF%FE in the path", get("/api/idempotency-keys/%FF%FE")),
    notAllowed("PUT a payment id %C0%AF", "PUT", "/api/payments/%C0%AF"),

    // ------------------------------------------------------------------ refunds
    notFound("refund another user's payment", refund(f.otherUsersPaymentId, "{}")),
    notFound("refund a non-UUID payment id", refund("abc", "{}")),
    { name: "refund without Idempotency-Key", request: refund(f.paymentId, "{}", { key: null }), expect: { status: 400, code: "idempotency_key_missing" } },
    { name: "refund of zero", request: refund(f.paymentId, '{"amount": 0}'), expect: { status: 400, code: "invalid_request" } },
    { name: "refund amount as a string", request: refund(f.paymentId, '{"amount": "100"}'), expect: { status: 400, code: "invalid_request" } },
    { name: "refund with an unknown field", request: refund(f.paymentId, '{"amount": 100, "to": "attacker"}'), expect: { status: 400, code: "invalid_request" } },
    { name: "refund with an unknown reason", request: refund(f.paymentId, '{"reason": "because"}'), expect: { status: 400, code: "invalid_request" } },
    { name: "refund more than was paid", request: refund(f.paymentId, '{"amount": 1000000}'), expect: { status: 400, code: "refund_exceeds_remaining" } },
    { name: "refund a declined payment", request: refund(f.declinedPaymentId, "{}"), expect: { status: 400, code: "payment_not_refundable" } },
    unauthorized("refund with a revoked key", refund(f.paymentId, "{}", { authorization: `Bearer ${f.revokedApiKey}` })),
    { name: "refund as text/plain", request: refund(f.paymentId, "{}", { contentType: "text/plain" }), expect: { status: 415, code: "unsupported_media_type" } },

    // ------------------------------------------------------------------ webhooks
    forged("webhook without Stripe-Signature", webhook(event, null)),
    forged("webhook with an empty Stripe-Signature", webhook(event, "")),
    forged("webhook with a garbage Stripe-Signature", webhook(event, "nonsense")),
    forged("webhook signed with another secret", webhook(event, sign(event, { secret: "whsec_not_the_endpoint_secret" }))),
    forged("webhook signed ten minutes ago (replayed)", webhook(event, sign(event, { timestamp: Math.floor(Date.now() / 1000) - 600 }))),
    forged("webhook whose signature is for another body", webhook(event.replace("2500", "1"), sign(event))),
    forged("webhook with only a v0 signature", webhook(event, sign(event).replace("v1=", "v0="))),
    forged("webhook with a non-hex signature", webhook(event, `t=${Math.floor(Date.now() / 1000)},v1=zzzz`)),
    forged("1 MB webhook with a forged signature", webhook(`{"pad": "${"x".repeat(1_000_000)}"}`, "t=1,v1=00")),
    // Correctly signed, so from Stripe, but not applicable: acknowledged (200) with `ignored`,
    // since Stripe's retry would bring the same bytes, and nothing is recorded.
    ...Object.entries<(base: Record<string, unknown>, object: Record<string, unknown>) => unknown>({
      "signed webhook whose data.object is null": (base) => ({ ...base, data: { object: null } }),
      "signed webhook without data": ({ data: _data, ...base }) => base,
      "signed webhook with the amount as a string": (base, object) => ({ ...base, data: { object: { ...object, amount: "2500" } } }),
      "signed webhook with a negative amount": (base, object) => ({ ...base, data: { object: { ...object, amount: -2_500 } } }),
      "signed webhook with metadata as a string": (base, object) => ({ ...base, data: { object: { ...object, metadata: "{}" } } }),
      "signed refund.created whose payment_intent is a number": (base, object) => ({
        ...base,
        type: "refund.created",
        data: { object: { ...object, id: "re_corpus", object: "refund", status: "succeeded", payment_intent: 42 } },
      }),
      "signed charge.dispute.created without a status": (base) => ({
        ...base,
        type: "charge.dispute.created",
        data: { object: { id: "du_corpus", object: "dispute", amount: 2_500, reason: "fraudulent", payment_intent: "pi_corpus" } },
      }),
      "signed event of a connected account (Connect)": (base) => ({ ...base, account: "acct_corpus" }),
      "signed event without an id": ({ id: _id, ...base }) => base,
      "signed JSON null instead of an event": () => null,
    }).map(([name, change]): CorpusCase => {
      const object = { id: "pi_corpus", object: "payment_intent", amount: 2_500, currency: "eur", created: 1_764_000_000, metadata: {} };
      const base = { id: `evt_corpus_${randomUUID().replaceAll("-", "")}`, object: "event", type: "payment_intent.succeeded", data: { object } };
      const payload = JSON.stringify(change(base, object));
      return { name, request: webhook(payload, sign(payload)), expect: { status: 200, code: null } };
    }),

    // ------------------------------------------------------------------ methods
    notAllowed("PUT /api/payments", "PUT", "/api/payments"),
    notAllowed("DELETE /api/payments", "DELETE", "/api/payments"),
    notAllowed("PATCH /api/payments", "PATCH", "/api/payments"),
    notAllowed("POST /api/payments/{id}", "POST", `/api/payments/${f.paymentId}`),
    notAllowed("PUT /api/payments/{id}", "PUT", `/api/payments/${f.paymentId}`),
    notAllowed("DELETE /api/payments/{id}", "DELETE", `/api/payments/${f.paymentId}`),
    notAllowed("PUT /api/payments/{id}/refunds", "PUT", `/api/payments/${f.paymentId}/refunds`),
    notAllowed("DELETE /api/webhooks/stripe", "DELETE", "/api/webhooks/stripe"),
  ];
}
