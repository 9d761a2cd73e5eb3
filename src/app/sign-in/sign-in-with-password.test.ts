import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GET, POST } from "@/app/api/auth/[...nextauth]/route";
import { createUser, TEST_PASSWORD } from "../../../tests/helpers/database";
import { tooManyAttemptsMessage } from "./sign-in-error-message";
import { signInWithPassword } from "./sign-in-with-password";

const ORIGIN = "http://localhost";

/**
 * The browser the sign-in form runs in, as far as signInWithPassword and next-auth/react
 * use it: a page on ORIGIN, and fetch answered by this app's Auth.js route with a cookie
 * jar, from `address` as the client address Next.js would put in X-Forwarded-For.
 */
function browserAt(address: string) {
  const jar = new Map<string, string>();
  vi.stubGlobal("window", { location: { href: `${ORIGIN}/sign-in` } });
  vi.stubGlobal("fetch", async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), `${ORIGIN}/sign-in`);
    const headers = new Headers(init.headers);
    headers.set("X-Forwarded-For", address);
    headers.set("Cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
    const request = new Request(url, { ...init, headers });
    const nextauth = url.pathname.replace(/^\/api\/auth\//, "").split("/");
    const handler = request.method === "POST" ? POST : GET;
    const response = await handler(request, { params: Promise.resolve({ nextauth }) });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ""] = cookie.split(";");
      const [name = "", value = ""] = pair.split("=");
      jar.set(name, value);
    }
    return response;
  });
  return { signedIn: () => Boolean(jar.get("authjs.session-token")) };
}

// The throttle's windows are fixed, 900 s from the epoch by default (PostgreSQL's clock, the
// same machine's here): start away from the end of one, so that the failures below are all
// counted in the same window.
beforeEach(async () => {
  const ms = 900_000 - (Date.now() % 900_000);
  if (ms < 10_000) await new Promise((resolve) => setTimeout(resolve, ms + 500));
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("signInWithPassword", () => {
  it("signs in, or gives the form's message for wrong credentials and then for too many attempts", async () => {
    const user = await createUser();
    const address = `2001:db8:${randomBytes(2).toString("hex")}::1`;
    const browser = browserAt(address);

    expect(await signInWithPassword({ email: user.email, password: "wrong password" }, "/payments")).toEqual({
      outcome: "refused",
      message: "Wrong email or password.",
    });
    for (let i = 0; i < 4; i++) await signInWithPassword({ email: user.email, password: "wrong password" }, "/payments");
    const throttled = await signInWithPassword({ email: user.email, password: TEST_PASSWORD }, "/payments");
    expect(throttled).toEqual({ outcome: "throttled", message: expect.stringMatching(/^Too many attempts\. Try again in \d+ minutes?\.$/) });
    expect(browser.signedIn()).toBe(false);

    const other = await createUser();
    expect(await signInWithPassword({ email: other.email, password: TEST_PASSWORD }, "/payments")).toEqual({ outcome: "signed-in" });
    expect(browser.signedIn()).toBe(true);
  });
});

describe("tooManyAttemptsMessage", () => {
  it("gives the wait in whole minutes, rounded up, and does without one it cannot read", () => {
    expect(tooManyAttemptsMessage("1")).toBe("Too many attempts. Try again in 1 minute.");
    expect(tooManyAttemptsMessage("60")).toBe("Too many attempts. Try again in 1 minute.");
    expect(tooManyAttemptsMessage("61")).toBe("Too many attempts. Try again in 2 minutes.");
    expect(tooManyAttemptsMessage("900")).toBe("Too many attempts. Try again in 15 minutes.");
    for (const unreadable of [null, "", "0", "-5", "soon", "Wed, 21 Oct 2015 07:28:00 GMT"]) {
      expect(tooManyAttemptsMessage(unreadable)).toBe("Too many attempts. Try again later.");
    }
  });
});
