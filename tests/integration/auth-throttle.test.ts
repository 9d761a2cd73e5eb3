import { randomBytes, randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { GET, POST } from "@/app/api/auth/[...nextauth]/route";
import { POST as signUpRoute } from "@/app/api/auth/sign-up/route";
import { throttleBuckets } from "@/server/auth/throttle-windows";
import { db } from "@/server/db";
import { cookiesFrom, signInWithPassword as signInThroughAuthJsAlone } from "../helpers/auth";
import { createUser, TEST_PASSWORD } from "../helpers/database";

// The limits are env's defaults (src/env.ts); this file sets none of them.
const PER_ACCOUNT = 5;
const PER_ADDRESS = 20;
const SIGN_UPS = 10;
const WINDOW_SECONDS = 900;

const ORIGIN = "http://localhost";
const WRONG = "not the password at all";
const authParams = (...nextauth: string[]) => ({ params: Promise.resolve({ nextauth }) });
const uniqueEmail = (label: string) => `${label}-${randomUUID()}@example.test`;
/** A client address of each test's own: an IPv6 /64 of the documentation prefix. */
const newAddress = () => `2001:db8:${randomBytes(2).toString("hex")}:${randomBytes(2).toString("hex")}::1`;

/**
 * Signs in as the sign-in page does, through this app's route (GET /api/auth/csrf, then POST
 * /api/auth/callback/credentials asking for JSON), from `address` as the client address
 * Next.js puts in X-Forwarded-For.
 */
async function signIn(email: string, password: string, address: string) {
  const headers = { "X-Forwarded-For": address };
  const csrf = await GET(new Request(`${ORIGIN}/api/auth/csrf`, { headers }), authParams("csrf"));
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const started = performance.now();
  const response = await POST(
    new Request(`${ORIGIN}/api/auth/callback/credentials`, {
      method: "POST",
      headers: {
        ...headers,
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Auth-Return-Redirect": "1",
        "Sec-Fetch-Site": "same-origin",
        Cookie: cookiesFrom(csrf),
      },
      body: new URLSearchParams({ csrfToken, email, password, callbackUrl: "/payments" }),
    }),
    authParams("callback", "credentials"),
  );
  const ms = performance.now() - started;
  const signedIn = response.headers.getSetCookie().some((cookie) => cookie.startsWith("authjs.session-token="));
  return { response, signedIn, ms };
}

type Attempt = Awaited<ReturnType<typeof signIn>>;

/** Auth.js's answer to wrong credentials: 200 with the sign-in page's URL and the error. */
async function expectWrongCredentials({ response, signedIn }: Attempt) {
  expect(signedIn).toBe(false);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ url: `${ORIGIN}/sign-in?error=CredentialsSignin&code=credentials` });
}

/** The throttle's answer; returns its body. */
async function expectThrottled({ response, signedIn }: Attempt) {
  expect(signedIn).toBe(false);
  expect(response.status).toBe(429);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const retryAfter = Number(response.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
  const body = await response.json();
  expect(body).toMatchObject({ status: 429, code: "rate_limited", requestId: response.headers.get("x-request-id") });
  return body as Record<string, unknown>;
}

const isThrottled = (attempt: Attempt) => attempt.response.status === 429;

async function failTimes(times: number, email: () => string, address: string) {
  for (let i = 0; i < times; i++) await expectWrongCredentials(await signIn(email(), WRONG, address));
}

async function counts(...buckets: string[]) {
  const rows = await db().authThrottleWindow.findMany({ where: { bucket: { in: buckets } } });
  return Object.fromEntries(rows.map((row) => [row.bucket, row.count]));
}

/**
 * Waits out the end of a window when it is near, so that a test's attempts are all counted
 * in one (windows are fixed and shared: see throttle-windows.ts).
 */
beforeEach(async () => {
  const [{ ms }] = await db().$queryRaw<[{ ms: number }]>`
    SELECT (extract(epoch FROM date_bin(make_interval(secs => ${WINDOW_SECONDS}::int), now(), timestamptz 'epoch')
      + make_interval(secs => ${WINDOW_SECONDS}::int) - now()) * 1000)::int AS ms`;
  if (ms < 20_000) await new Promise((resolve) => setTimeout(resolve, ms + 100));
});

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe("sign-in throttling per account", () => {
  it(`refuses even the right password after ${PER_ACCOUNT} failures, from any address, with 429 and no session`, async () => {
    const user = await createUser();
    await failTimes(PER_ACCOUNT, () => user.email, newAddress());
    await expectThrottled(await signIn(user.email, TEST_PASSWORD, newAddress()));
    await expectThrottled(await signIn(user.email.toUpperCase(), TEST_PASSWORD, newAddress()));
  });

  it("answers an unknown email exactly like a known one, before and at the limit, and refuses both before any password check", async () => {
    const known = await createUser();
    const unknown = uniqueEmail("nobody");
    const knownFrom = newAddress();
    const unknownFrom = newAddress();

    const checked = { known: [] as number[], unknown: [] as number[] };
    for (let i = 0; i < PER_ACCOUNT; i++) {
      const [a, b] = [await signIn(known.email, WRONG, knownFrom), await signIn(unknown, WRONG, unknownFrom)];
      checked.known.push(a.ms);
      checked.unknown.push(b.ms);
      await expectWrongCredentials(a);
      await expectWrongCredentials(b);
    }
    // Both ran a full password check (verify-credentials.test.ts holds that more closely).
    expect(median(checked.unknown)).toBeGreaterThan(median(checked.known) * 0.5);

    const refused = { known: [] as Attempt[], unknown: [] as Attempt[] };
    for (let i = 0; i < 3; i++) {
      const [a, b] = await Promise.all([signIn(known.email, TEST_PASSWORD, knownFrom), signIn(unknown, TEST_PASSWORD, unknownFrom)]);
      refused.known.push(a);
      refused.unknown.push(b);
    }
    const [a, b] = [refused.known[0]!, refused.unknown[0]!];
    const [bodyA, bodyB] = [await expectThrottled(a), await expectThrottled(b)];
    expect({ ...bodyA, requestId: "" }).toEqual({ ...bodyB, requestId: "" });
    const headers = (attempt: Attempt) =>
      [...attempt.response.headers].filter(([name]) => name !== "x-request-id" && name !== "retry-after");
    expect(headers(a)).toEqual(headers(b));
    // Windows are shared by every bucket: the same wait, give or take the second between the two.
    expect(Math.abs(Number(a.response.headers.get("retry-after")) - Number(b.response.headers.get("retry-after")))).toBeLessThanOrEqual(1);
    // Refused before the password is checked: far faster than a check, for both.
    for (const attempts of [refused.known, refused.unknown]) {
      expect(median(attempts.map((attempt) => attempt.ms))).toBeLessThan(median(checked.known) * 0.5);
    }
  });

  it("forgets the account's failures on a success, but keeps the address's", async () => {
    const user = await createUser();
    const address = newAddress();
    await failTimes(PER_ACCOUNT - 1, () => user.email, address);
    expect((await signIn(user.email, TEST_PASSWORD, address)).signedIn).toBe(true);

    const account = throttleBuckets.signInAccount(user.email);
    const from = throttleBuckets.signInAddress(address);
    // The success itself is not counted as a failure of its address.
    expect(await counts(account, from)).toEqual({ [from]: PER_ACCOUNT - 1 });

    await failTimes(PER_ACCOUNT, () => user.email, address);
    await expectThrottled(await signIn(user.email, TEST_PASSWORD, address));
  });

  it("stores no email: an account's bucket is a keyed hash of it", async () => {
    const email = uniqueEmail("private");
    await failTimes(1, () => email, newAddress());
    const buckets = (await db().authThrottleWindow.findMany()).map((row) => row.bucket);
    expect(buckets).toContain(throttleBuckets.signInAccount(email));
    expect(buckets.join(" ")).not.toContain(email.split("@")[0]);
    await expect(
      db().$executeRaw`INSERT INTO auth_throttle_windows (bucket, window_start, count) VALUES (${`signin:account:${email}`}, now(), 1)`,
    ).rejects.toThrow(/auth_throttle_windows_bucket_shape/);
  });
});

describe("sign-in throttling per address", () => {
  it(`refuses every account from an address after ${PER_ADDRESS} failures there, and only from its /64`, async () => {
    const user = await createUser();
    const address = newAddress();
    await failTimes(PER_ADDRESS, () => uniqueEmail("spray"), address);

    await expectThrottled(await signIn(user.email, TEST_PASSWORD, address));
    await expectThrottled(await signIn(user.email, TEST_PASSWORD, address.replace(/::1$/, "::abcd")));
    // Refused attempts counted for the account as well: 2 of its 5.
    const elsewhere = await signIn(user.email, TEST_PASSWORD, newAddress());
    expect(elsewhere.signedIn).toBe(true);
  });

  it("counts Auth.js's own handler called without this app's route too: refused like wrong credentials", async () => {
    const user = await createUser();
    // No X-Forwarded-For: the shared `unknown` address, which no other test of this file uses.
    for (let i = 0; i < PER_ACCOUNT; i++) expect((await signInThroughAuthJsAlone(user.email, WRONG)).cookie).toBeNull();
    const { response, cookie } = await signInThroughAuthJsAlone(user.email, TEST_PASSWORD);
    expect(cookie).toBeNull();
    expect(response.headers.get("location")).toBe(`${ORIGIN}/sign-in?error=CredentialsSignin&code=rate_limited`);
  });
});

describe("sign-in throttling under concurrency", () => {
  it("lets exactly the limit of two concurrent bursts on one account reach the password check", async () => {
    const user = await createUser();
    const burst = (address: string) => Array.from({ length: 8 }, () => signIn(user.email, WRONG, address));
    const attempts = await Promise.all([...burst(newAddress()), ...burst(newAddress())]);

    const checked = attempts.filter((attempt) => !isThrottled(attempt));
    expect(checked).toHaveLength(PER_ACCOUNT);
    for (const attempt of checked) await expectWrongCredentials(attempt);
    for (const attempt of attempts.filter(isThrottled)) await expectThrottled(attempt);
    expect(await counts(throttleBuckets.signInAccount(user.email))).toEqual({ [throttleBuckets.signInAccount(user.email)]: 16 });
  });

  it("lets exactly the limit of a concurrent burst from one address reach the password check", async () => {
    const address = newAddress();
    const attempts = await Promise.all(Array.from({ length: PER_ADDRESS + 6 }, () => signIn(uniqueEmail("burst"), WRONG, address)));
    expect(attempts.filter((attempt) => !isThrottled(attempt))).toHaveLength(PER_ADDRESS);
    expect(attempts.filter(isThrottled)).toHaveLength(6);
  });
});

describe("the throttle's windows", () => {
  it("allow attempts again once the window is over, and the past window's rows are swept", async () => {
    const user = await createUser();
    const address = newAddress();
    await failTimes(PER_ACCOUNT, () => user.email, address);
    await expectThrottled(await signIn(user.email, TEST_PASSWORD, address));

    const buckets = [throttleBuckets.signInAccount(user.email), throttleBuckets.signInAddress(address)];
    // The clock moves on: this window becomes the previous one.
    await db().$executeRaw`
      UPDATE auth_throttle_windows SET window_start = window_start - make_interval(secs => ${WINDOW_SECONDS})
      WHERE bucket = ANY(${buckets}::text[])`;
    expect((await signIn(user.email, TEST_PASSWORD, address)).signedIn).toBe(true);

    const rows = await db().authThrottleWindow.findMany({ where: { bucket: { in: buckets } } });
    // The account was forgotten by the success; the address has this window's row only, at 0.
    expect(rows.map((row) => [row.bucket, row.count])).toEqual([[buckets[1], 0]]);
  });
});

describe("sign-up throttling per address", () => {
  const postSignUp = (email: string, address: string) =>
    signUpRoute(
      new Request(`${ORIGIN}/api/auth/sign-up`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Sec-Fetch-Site": "same-origin", "X-Forwarded-For": address },
        body: JSON.stringify({ email, password: "a long enough passphrase" }),
      }),
      { params: Promise.resolve({}) },
    );

  it(`allows ${SIGN_UPS} a window per address, a taken email counted too, then 429 with Retry-After`, async () => {
    const taken = await createUser();
    const address = newAddress();
    const statuses = [];
    for (let i = 0; i < SIGN_UPS - 1; i++) statuses.push((await postSignUp(uniqueEmail("signup"), address)).status);
    statuses.push((await postSignUp(taken.email, address)).status);
    expect(statuses).toEqual([...Array<number>(SIGN_UPS - 1).fill(201), 400]);

    const email = uniqueEmail("one-too-many");
    const refused = await postSignUp(email, address);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect(await refused.json()).toMatchObject({ status: 429, code: "rate_limited" });
    expect(await db().user.count({ where: { email } })).toBe(0);

    expect((await postSignUp(email, newAddress())).status).toBe(201);
  });

  it("counts concurrent sign-ups atomically", async () => {
    const address = newAddress();
    const statuses = await Promise.all(Array.from({ length: SIGN_UPS + 4 }, () => postSignUp(uniqueEmail("rush"), address).then((r) => r.status)));
    expect(statuses.filter((status) => status === 201)).toHaveLength(SIGN_UPS);
    expect(statuses.filter((status) => status === 429)).toHaveLength(4);
  });
});
