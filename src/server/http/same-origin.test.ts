import { describe, expect, it } from "vitest";
import { appOrigin, needsSameOrigin, requestSite, STRIPE_WEBHOOK_PATH } from "./same-origin";

const direct = { TRUSTED_PROXY_HOPS: 0 };

describe("appOrigin", () => {
  it("is AUTH_URL's origin when set, whatever the request says", () => {
    const headers = new Headers({ host: "10.0.0.7:3000", "x-forwarded-host": "evil.example", "x-forwarded-proto": "http" });
    expect(appOrigin(headers, { AUTH_URL: "https://Pay.Example.com/api/auth", TRUSTED_PROXY_HOPS: 1 })).toBe("https://pay.example.com");
  });

  it("is http and the Host header without trusted proxies, forwarded headers ignored", () => {
    const headers = new Headers({ host: "APP.example:3000", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" });
    expect(appOrigin(headers, direct)).toBe("http://app.example:3000");
  });

  it("drops a default port and keeps a trailing dot, as browsers serialize origins", () => {
    expect(appOrigin(new Headers({ host: "app.example:80" }), direct)).toBe("http://app.example");
    expect(appOrigin(new Headers({ host: "app.example." }), direct)).toBe("http://app.example.");
    expect(appOrigin(new Headers({ host: "[::1]:3000" }), direct)).toBe("http://[::1]:3000");
  });

  it("takes X-Forwarded-Proto and -Host from the outermost trusted proxy", () => {
    const oneHop = new Headers({ host: "app:3000", "x-forwarded-host": "Pay.Example", "x-forwarded-proto": "https" });
    expect(appOrigin(oneHop, { TRUSTED_PROXY_HOPS: 1 })).toBe("https://pay.example");
    // The client sent its own values; the one trusted proxy appended what it saw.
    const spoofed = new Headers({ host: "app:3000", "x-forwarded-host": "evil.example, pay.example", "x-forwarded-proto": "http, https" });
    expect(appOrigin(spoofed, { TRUSTED_PROXY_HOPS: 1 })).toBe("https://pay.example");
    expect(appOrigin(spoofed, { TRUSTED_PROXY_HOPS: 2 })).toBe("http://evil.example");
    // Fewer entries than hops: proxies replaced the header; the one there is theirs.
    expect(appOrigin(oneHop, { TRUSTED_PROXY_HOPS: 3 })).toBe("https://pay.example");
    expect(appOrigin(new Headers({ host: "app.example" }), { TRUSTED_PROXY_HOPS: 1 })).toBe("http://app.example");
  });

  it("is null for a Host that is missing or more than a host", () => {
    expect(appOrigin(new Headers(), direct)).toBeNull();
    for (const host of ["evil.example@app.example", "app.example/path", "a.example, b.example", "app example", "app.example:99999", "a;b", "a'b", "app.example:"]) {
      expect(appOrigin(new Headers({ host }), direct), host).toBeNull();
    }
  });
});

describe("requestSite", () => {
  const app = "https://pay.example";
  const site = (headers: Record<string, string>, expected: string | null = app) => requestSite(new Headers(headers), expected);

  it("lets Sec-Fetch-Site decide when present: only same-origin passes", () => {
    expect(site({ "sec-fetch-site": "same-origin" })).toBe("same-origin");
    expect(site({ "sec-fetch-site": "same-origin", origin: "https://elsewhere.example" })).toBe("same-origin");
    for (const value of ["same-site", "cross-site", "none", "same-origin, same-origin", "Same-Origin"]) {
      expect(site({ "sec-fetch-site": value, origin: app }), value).toBe("cross-site");
    }
  });

  it("passes an Origin that is this site's, written as a browser writes it", () => {
    expect(site({ origin: "https://pay.example" })).toBe("same-origin");
    expect(site({ origin: "https://PAY.example" })).toBe("same-origin");
    expect(site({ origin: "http://127.0.0.1:3000" }, "http://127.0.0.1:3000")).toBe("same-origin");
  });

  it("refuses every other Origin", () => {
    for (const origin of [
      "https://evil.example",
      "http://pay.example", // another scheme
      "https://pay.example:8443", // another port
      "https://pay.example:443", // not how a browser writes it
      "https://pay.example.", // a trailing dot is another origin
      "https://pay.example.evil.example",
      "https://pay.example/",
      "https://pay.example/path",
      "https://user@pay.example",
      "null",
      "",
      "https://pay.example, https://evil.example", // the header sent twice
      "https://evil.example, https://pay.example",
      "file://pay.example",
      "pay.example",
    ]) {
      expect(site({ origin }), origin).toBe("cross-site");
    }
  });

  it("refuses any Origin when the app's own origin is unknown", () => {
    expect(site({ origin: "https://pay.example" }, null)).toBe("cross-site");
  });

  it("is unknown with neither header", () => {
    expect(site({})).toBe("unknown");
    expect(site({ referer: "https://pay.example/pay" })).toBe("unknown");
  });
});

describe("needsSameOrigin", () => {
  const none = new Headers();

  it("concerns every method but GET, HEAD and OPTIONS, on every path", () => {
    for (const method of ["GET", "HEAD", "OPTIONS", "get"]) expect(needsSameOrigin(method, "/api/payments", none), method).toBe(false);
    for (const method of ["POST", "PUT", "PATCH", "DELETE", "PROPFIND"]) expect(needsSameOrigin(method, "/api/payments", none), method).toBe(true);
    for (const path of ["/api/auth/signout", "/api/auth/callback/credentials", "/api/auth/sign-up", "/pay", "/%61pi/payments"]) {
      expect(needsSameOrigin("POST", path, none), path).toBe(true);
    }
  });

  it("leaves out the Stripe webhook and Bearer credentials, not other schemes", () => {
    expect(needsSameOrigin("POST", STRIPE_WEBHOOK_PATH, none)).toBe(false);
    expect(needsSameOrigin("POST", `${STRIPE_WEBHOOK_PATH}/x`, none)).toBe(true);
    expect(needsSameOrigin("POST", "/api/payments", new Headers({ authorization: "Bearer ipk_abc" }))).toBe(false);
    expect(needsSameOrigin("POST", "/api/payments", new Headers({ authorization: "bearer ipk_abc" }))).toBe(false);
    expect(needsSameOrigin("POST", "/api/payments", new Headers({ authorization: "Basic dXNlcjpwdw==" }))).toBe(true);
    expect(needsSameOrigin("POST", "/api/payments", new Headers({ authorization: "Bearerish x" }))).toBe(true);
  });
});
