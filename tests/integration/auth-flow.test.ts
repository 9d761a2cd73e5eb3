import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { POST as signUp } from "@/app/api/auth/sign-up/route";
import { handlers } from "@/server/auth/config";
import { EMAIL_UNAVAILABLE } from "@/server/auth/create-account";
import { requireUser } from "@/server/auth/require-user";
import { verifyPassword } from "@/server/auth/password";
import { db } from "@/server/db";
import { ApiError } from "@/server/http/api-error";
import { cookiesFrom, signInWithPassword } from "../helpers/auth";
import { createUser, TEST_PASSWORD } from "../helpers/database";

const PASSWORD = "a long enough passphrase";
const uniqueEmail = (label: string) => `${label}-${crypto.randomUUID()}@example.test`;

function postSignUp(body: unknown, contentType = "application/json") {
  return signUp(
    new Request("http://localhost/api/auth/sign-up", {
      method: "POST",
      headers: { "Content-Type": contentType },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
    { params: Promise.resolve({}) },
  );
}

async function expectProblem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = await response.json();
  expect(body).toMatchObject({ status, code });
  expect(body.requestId).toBe(response.headers.get("x-request-id"));
  return body;
}

const requestWith = (headers: Record<string, string>) => new Request("http://localhost/api/payments", { headers });

describe("sign-up and sign-in through the Auth.js route handlers", () => {
  it("creates an account, signs in with it, and the session cookie identifies the user", async () => {
    const email = uniqueEmail("New.Customer");
    const created = await postSignUp({ email: `  ${email.toUpperCase()} `, password: PASSWORD, name: "Ada" });
    expect(created.status).toBe(201);
    const account = await created.json();
    expect(account).toEqual({ id: expect.any(String), email: email.toLowerCase(), name: "Ada" });

    const row = await db().user.findUniqueOrThrow({ where: { id: account.id } });
    expect(row.passwordHash).toMatch(/^scrypt\$/);
    expect(row.passwordHash).not.toContain(PASSWORD);
    expect(await verifyPassword(PASSWORD, row.passwordHash!)).toBe(true);

    // Any case of the email signs in: it is normalised on the way in, as at sign-up.
    const { response, cookie } = await signInWithPassword(email.toUpperCase(), PASSWORD, "/settings/api-keys");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("http://localhost/settings/api-keys");
    expect(cookie).toMatch(/^authjs\.session-token=/);

    expect(await requireUser(requestWith({ Cookie: cookie! }))).toEqual({
      id: account.id,
      email: email.toLowerCase(),
      via: "session",
    });
    const session = await handlers.GET(new NextRequest("http://localhost/api/auth/session", { headers: { Cookie: cookie! } }));
    expect(await session.json()).toMatchObject({ user: { id: account.id, email: email.toLowerCase(), name: "Ada" } });
  });

  it("answers a wrong password and an unknown email with the same generic error and no session", async () => {
    const user = await createUser();
    const wrongPassword = await signInWithPassword(user.email, "not the password at all");
    const unknownEmail = await signInWithPassword(uniqueEmail("nobody"), TEST_PASSWORD);
    const passwordless = await db().user.create({ data: { email: uniqueEmail("keys-only") } });
    const noPassword = await signInWithPassword(passwordless.email, TEST_PASSWORD);

    for (const attempt of [wrongPassword, unknownEmail, noPassword]) {
      expect(attempt.cookie).toBeNull();
      expect(attempt.response.status).toBe(302);
      expect(attempt.response.headers.get("location")).toBe(
        "http://localhost/sign-in?error=CredentialsSignin&code=credentials",
      );
    }
  });

  it("refuses a sign-in without the CSRF token", async () => {
    const user = await createUser();
    const response = await handlers.POST(
      new NextRequest("http://localhost/api/auth/callback/credentials", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ email: user.email, password: TEST_PASSWORD }),
      }),
    );
    expect(response.headers.getSetCookie().some((c) => c.startsWith("authjs.session-token="))).toBe(false);
    expect(response.headers.get("location")).toContain("error=MissingCSRF");
  });

  it("never redirects to another site after sign-in", async () => {
    const user = await createUser();
    const { response } = await signInWithPassword(user.email, TEST_PASSWORD, "https://evil.example/steal");
    expect(response.headers.get("location")).toBe("http://localhost");
  });

  it("signs out by clearing the session cookie", async () => {
    const user = await createUser();
    const { cookie } = await signInWithPassword(user.email, TEST_PASSWORD);
    const csrf = await handlers.GET(new NextRequest("http://localhost/api/auth/csrf", { headers: { Cookie: cookie! } }));
    const { csrfToken } = await csrf.json();
    const response = await handlers.POST(
      new NextRequest("http://localhost/api/auth/signout", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: `${cookie}; ${cookiesFrom(csrf)}` },
        body: new URLSearchParams({ csrfToken, callbackUrl: "/" }),
      }),
    );
    expect(response.status).toBe(302);
    const cleared = response.headers.getSetCookie().find((c) => c.startsWith("authjs.session-token="));
    expect(cleared).toMatch(/^authjs\.session-token=;/);
    expect(cleared).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
  });
});

describe("POST /api/auth/sign-up errors", () => {
  it("rejects a weak password with a field error and creates nothing", async () => {
    const email = uniqueEmail("weak");
    const body = await expectProblem(await postSignUp({ email, password: "short" }), 400, "invalid_request");
    expect(body.errors).toEqual([{ path: "password", message: "Use at least 12 characters" }]);
    expect(await expectProblem(await postSignUp({ email, password: "x".repeat(129) }), 400, "invalid_request")).toMatchObject({
      errors: [{ path: "password", message: "Use at most 128 characters" }],
    });
    expect(await db().user.count({ where: { email } })).toBe(0);
  });

  it("refuses a name with a NUL before anything is written, so the same email then signs up", async () => {
    const email = uniqueEmail("nul-name");
    const body = await expectProblem(await postSignUp({ email, password: PASSWORD, name: "Ada\u0000" }), 400, "invalid_request");
    expect(body.errors).toEqual([{ path: "name", message: "name must not contain control characters" }]);
    expect(await db().user.count({ where: { email } })).toBe(0);

    const created = await postSignUp({ email, password: PASSWORD, name: "Ada" });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ email, name: "Ada" });
  });

  it("refuses a name with a lone surrogate sent as a JSON escape", async () => {
    const email = uniqueEmail("surrogate-name");
    const raw = `{"email":"${email}","password":"${PASSWORD}","name":"Ada \\udfff"}`;
    const body = await expectProblem(await postSignUp(raw), 400, "invalid_request");
    expect(body.errors).toEqual([{ path: "name", message: "name must be valid Unicode (it contains an unpaired surrogate)" }]);
    expect(await db().user.count({ where: { email } })).toBe(0);
  });

  it("refuses a new password with a control character or a lone surrogate, and keeps spaces in it", async () => {
    const email = uniqueEmail("password-chars");
    for (const [password, message] of [
      [`${PASSWORD}\u0000`, "password must not contain control characters"],
      [`${PASSWORD}\ud800`, "password must be valid Unicode (it contains an unpaired surrogate)"],
    ] as const) {
      const body = await expectProblem(await postSignUp({ email, password }), 400, "invalid_request");
      expect(body.errors).toEqual([{ path: "password", message }]);
    }
    expect(await db().user.count({ where: { email } })).toBe(0);

    const spaced = ` ${PASSWORD} `;
    expect((await postSignUp({ email, password: spaced })).status).toBe(201);
    expect((await signInWithPassword(email, spaced)).cookie).toMatch(/^authjs\.session-token=/);
    expect((await signInWithPassword(email, PASSWORD)).cookie).toBeNull();
  });

  it("answers a sign-in with a NUL in the password or the email like any wrong credentials, never a 500", async () => {
    const user = await createUser();
    for (const attempt of [
      await signInWithPassword(user.email, "correct horse\u0000battery staple"),
      await signInWithPassword(user.email, `${TEST_PASSWORD}\u0000\ud800`),
      await signInWithPassword(`${user.email}\u0000`, TEST_PASSWORD),
    ]) {
      expect(attempt.cookie).toBeNull();
      expect(attempt.response.headers.get("location")).toBe("http://localhost/sign-in?error=CredentialsSignin&code=credentials");
    }
    // Trailing NULs do not change the password: scrypt's HMAC pads its key with zero bytes,
    // so "…staple\0" hashes like "…staple". Harmless (it takes the password itself), but it
    // is why a sign-in with one succeeds.
    expect((await signInWithPassword(user.email, `${TEST_PASSWORD}\u0000`)).response.status).toBe(302);
  });

  it("rejects a malformed email, bad JSON and another content type", async () => {
    const body = await expectProblem(await postSignUp({ email: "not-an-email", password: PASSWORD }), 400, "invalid_request");
    expect(body.errors).toEqual([{ path: "email", message: "Enter a valid email address" }]);
    await expectProblem(await postSignUp("{nope"), 400, "invalid_json");
    await expectProblem(await postSignUp("email=a@b.c", "application/x-www-form-urlencoded"), 415, "unsupported_media_type");
  });

  it("answers a taken email generically and leaves the existing account alone", async () => {
    const existing = await createUser();
    const keysOnly = await db().user.create({ data: { email: uniqueEmail("cli-made") } });

    for (const user of [existing, keysOnly]) {
      const response = await postSignUp({ email: user.email.toUpperCase(), password: PASSWORD });
      const body = await expectProblem(response, 400, "invalid_request");
      expect(body.detail).toBe(EMAIL_UNAVAILABLE);
      expect(body.errors).toEqual([{ path: "email", message: EMAIL_UNAVAILABLE }]);
      const after = await db().user.findUniqueOrThrow({ where: { id: user.id } });
      expect(after.passwordHash).toBe(user.passwordHash);
    }
    // In particular the account without a password did not get this one.
    expect((await signInWithPassword(keysOnly.email, PASSWORD)).cookie).toBeNull();
  });
});

describe("requireUser with a session cookie", () => {
  it("rejects a missing, forged or foreign cookie with 401", async () => {
    const user = await createUser();
    const { cookie } = await signInWithPassword(user.email, TEST_PASSWORD);
    const value = cookie!.split("=")[1]!;
    const tampered = `authjs.session-token=${value.slice(0, -4)}${value.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;

    const attempts: Array<Record<string, string>> = [
      {},
      { Cookie: tampered },
      { Cookie: "authjs.session-token=garbage" },
      { Cookie: `__Secure-${cookie}` }, // the https name on an http site
    ];
    for (const headers of attempts) {
      const error = await requireUser(requestWith(headers)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ status: 401, headers: { "WWW-Authenticate": 'Bearer realm="payments"' } });
    }
  });
});
