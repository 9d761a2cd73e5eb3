import { describe, expect, it } from "vitest";
import { DELETE as revokeRoute } from "@/app/api/api-keys/[id]/route";
import { GET as listRoute, POST as createRoute } from "@/app/api/api-keys/route";
import { requireUser } from "@/server/auth/require-user";
import { db } from "@/server/db";
import { apiKeyFor, signInWithPassword } from "../helpers/auth";
import { createUser, TEST_PASSWORD } from "../helpers/database";

const URL_BASE = "http://localhost/api/api-keys";
type Headers = Record<string, string>;

const list = (headers: Headers) => listRoute(new Request(URL_BASE, { headers }), { params: Promise.resolve({}) });
const create = (headers: Headers, body: unknown = { name: "my script" }) =>
  createRoute(
    new Request(URL_BASE, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify(body),
    }),
    { params: Promise.resolve({}) },
  );
const revoke = (headers: Headers, id: string) =>
  revokeRoute(new Request(`${URL_BASE}/${id}`, { method: "DELETE", headers }), { params: Promise.resolve({ id }) });

/**
 * A new user, signed in through Auth.js, with the headers their browser sends from this site's
 * own page: the Cookie, and Sec-Fetch-Site (without which a cookie's state change is refused
 * as cross-site: same-origin.test.ts).
 */
async function signedIn() {
  const user = await createUser();
  const { cookie } = await signInWithPassword(user.email, TEST_PASSWORD);
  return { user, headers: { Cookie: cookie!, "Sec-Fetch-Site": "same-origin" } };
}

async function expectUnauthorized(response: Response, challenge: string) {
  expect(response.status).toBe(401);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(response.headers.get("www-authenticate")).toBe(challenge);
  const requestId = response.headers.get("x-request-id");
  expect(requestId).toMatch(/^req_[0-9a-f]{24}$/);
  const body = await response.json();
  expect(body).toEqual({
    type: "/docs/errors#unauthorized",
    title: "Authentication required",
    status: 401,
    code: "unauthorized",
    detail: expect.any(String),
    retry: "never",
    requestId,
  });
}

describe("401 answers", () => {
  it("without credentials: problem+json, a Bearer challenge and the request id", async () => {
    await expectUnauthorized(await list({}), 'Bearer realm="payments"');
  });

  it("for an unknown, malformed or non-Bearer Authorization header", async () => {
    const invalid = 'Bearer realm="payments", error="invalid_token"';
    await expectUnauthorized(await list({ Authorization: `Bearer ipk_${"x".repeat(43)}` }), invalid);
    await expectUnauthorized(await list({ Authorization: "Bearer" }), invalid);
    await expectUnauthorized(await list({ Authorization: "Basic dXNlcjpwYXNz" }), invalid);
  });

  it("for a bad key even when a valid session cookie comes with it: no fallback to the cookie", async () => {
    const { headers } = await signedIn();
    expect((await list(headers)).status).toBe(200);
    const response = await list({ ...headers, Authorization: `Bearer ipk_${"y".repeat(43)}` });
    await expectUnauthorized(response, 'Bearer realm="payments", error="invalid_token"');
  });
});

describe("API keys over HTTP", () => {
  it("are created from a session, work as Bearer keys, and stop working once revoked", async () => {
    const { user, headers } = await signedIn();
    const created = await create(headers, { name: "  nightly export  " });
    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    const key = await created.json();
    expect(key).toEqual({
      id: expect.any(String),
      name: "nightly export",
      prefix: key.secret.slice(0, 12),
      secret: expect.stringMatching(/^ipk_/),
      createdAt: expect.any(String),
      lastUsedAt: null,
      revokedAt: null,
    });

    const bearer = { Authorization: `Bearer ${key.secret}` };
    const caller = await requireUser(new Request(URL_BASE, { headers: bearer }));
    expect(caller).toEqual({ id: user.id, email: user.email, via: "api_key" });
    const listed = await (await list(bearer)).json();
    // lastUsedAt is written in the background by the uses above: set or not yet.
    expect(listed.data).toEqual([
      {
        id: key.id,
        name: "nightly export",
        prefix: key.prefix,
        createdAt: key.createdAt,
        lastUsedAt: expect.toBeOneOf([null, expect.any(String)]),
        revokedAt: null,
      },
    ]);
    expect(JSON.stringify(listed)).not.toContain(key.secret.slice(12));

    const revoked = await revoke(headers, key.id);
    expect(revoked.status).toBe(200);
    expect((await revoked.json()).revokedAt).toEqual(expect.any(String));
    await expectUnauthorized(await list(bearer), 'Bearer realm="payments", error="invalid_token"');
  });

  it("can revoke itself with its own key, but cannot create keys", async () => {
    const user = await createUser();
    const secret = await apiKeyFor(user.id);
    const bearer = { Authorization: `Bearer ${secret}` };
    const refused = await create(bearer);
    expect(refused.status).toBe(403);
    expect((await refused.json()).code).toBe("forbidden");
    expect(await db().apiKey.count({ where: { userId: user.id } })).toBe(1);

    const [own] = (await (await list(bearer)).json()).data;
    expect((await revoke(bearer, own.id)).status).toBe(200);
    expect((await list(bearer)).status).toBe(401);
  });

  it("validate the name", async () => {
    const { headers } = await signedIn();
    const response = await create(headers, { name: "   " });
    expect(response.status).toBe(400);
    expect((await response.json()).errors).toEqual([{ path: "name", message: expect.stringContaining("Name the key") }]);
  });

  it.each([
    ["a NUL", { name: "nightly\u0000export" }, "name must not contain control characters"],
    ["an ANSI escape", { name: "\u001b[2Jnightly" }, "name must not contain control characters"],
    ["a bidi override", { name: "nightly\u202eexport" }, "name must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069)"],
    // JSON.stringify writes the escape \ud800, which the server's JSON.parse makes a lone surrogate again.
    ["a lone surrogate", { name: "nightly \ud800" }, "name must be valid Unicode (it contains an unpaired surrogate)"],
  ])("refuses a name with %s, creating no key", async (_label, body, message) => {
    const { user, headers } = await signedIn();
    const response = await create(headers, body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_request", errors: [{ path: "name", message }] });
    expect(await db().apiKey.count({ where: { userId: user.id } })).toBe(0);
  });
});

describe("one user cannot see or touch another's keys", () => {
  it("user B lists only their own keys and gets 404 revoking user A's", async () => {
    const alice = await signedIn();
    const bob = await signedIn();
    const aliceKey = await (await create(alice.headers, { name: "alice's" })).json();
    await create(bob.headers, { name: "bob's" });

    const bobsList = (await (await list(bob.headers)).json()).data;
    expect(bobsList.map((k: { name: string }) => k.name)).toEqual(["bob's"]);

    for (const headers of [bob.headers, { Authorization: `Bearer ${await apiKeyFor(bob.user.id)}` }]) {
      const response = await revoke(headers, aliceKey.id);
      expect(response.status).toBe(404);
      expect((await response.json()).code).toBe("not_found");
    }
    expect((await list({ Authorization: `Bearer ${aliceKey.secret}` })).status).toBe(200);
  });

  it("a malformed id is a 404 too", async () => {
    const { headers } = await signedIn();
    expect((await revoke(headers, "not-a-uuid")).status).toBe(404);
  });

  it("an upper-cased id names the same key", async () => {
    const { headers } = await signedIn();
    const key = await (await create(headers)).json();
    const response = await revoke(headers, key.id.toUpperCase());
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: key.id, revokedAt: expect.any(String) });
    expect((await list({ Authorization: `Bearer ${key.secret}` })).status).toBe(401);
  });
});
