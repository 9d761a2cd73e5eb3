import { describe, expect, it } from "vitest";
import { addressBlock, clientAddress, UNKNOWN_ADDRESS } from "./client-address";

/** Headers as Next.js hands them to a route: repeated X-Forwarded-For lines joined by ", ". */
function forwardedFor(...values: string[]): Headers {
  const headers = new Headers();
  for (const value of values) headers.append("X-Forwarded-For", value);
  return headers;
}

describe("clientAddress", () => {
  it("with no proxy trusted, takes the rightmost entry: the socket's address, which Next.js writes when there is none", () => {
    expect(clientAddress(forwardedFor("127.0.0.1"), 0)).toBe("127.0.0.1");
    expect(clientAddress(forwardedFor("203.0.113.9, 198.51.100.2"), 0)).toBe("198.51.100.2");
  });

  it("behind N proxies that append, takes the entry the outermost wrote (Nth from the right), whatever the client put before it", () => {
    // The client forged 200 entries; the CDN appended the client's address, the balancer the CDN's.
    const forged = Array.from({ length: 200 }, (_, i) => `10.0.${i % 256}.1`).join(",");
    const headers = forwardedFor(`${forged}, 192.0.2.44, 10.1.0.1`);
    expect(clientAddress(headers, 2)).toBe("192.0.2.44");
    expect(clientAddress(headers, 1)).toBe("10.1.0.1");
    // One proxy: the client's own X-Forwarded-For is never read, only what the proxy appended.
    expect(clientAddress(forwardedFor("6.6.6.6, 192.0.2.5"), 1)).toBe("192.0.2.5");
    expect(clientAddress(forwardedFor("192.0.2.5"), 1)).toBe("192.0.2.5");
  });

  it("reads duplicated headers as one list, in order", () => {
    expect(clientAddress(forwardedFor("6.6.6.6", "7.7.7.7, 192.0.2.5", "10.1.0.1"), 2)).toBe("192.0.2.5");
    expect(clientAddress(forwardedFor("6.6.6.6", "192.0.2.5"), 0)).toBe("192.0.2.5");
  });

  it("tolerates spaces and tabs around entries and proxies that add a port", () => {
    expect(clientAddress(forwardedFor("  192.0.2.5 \t,\t10.1.0.1  "), 2)).toBe("192.0.2.5");
    expect(clientAddress(forwardedFor("192.0.2.5:51234"), 0)).toBe("192.0.2.5");
    expect(clientAddress(forwardedFor("[2001:db8::7]:443"), 0)).toBe("2001:db8::7");
    expect(clientAddress(forwardedFor("[2001:db8::7]"), 0)).toBe("2001:db8::7");
  });

  it("normalises IPv6: mapped IPv4 as IPv4, one canonical lower-case form, no zone", () => {
    expect(clientAddress(forwardedFor("::ffff:127.0.0.1"), 0)).toBe("127.0.0.1");
    expect(clientAddress(forwardedFor("::FFFF:7F00:1"), 0)).toBe("127.0.0.1");
    expect(clientAddress(forwardedFor("2001:0DB8:0000:0000:0000:0000:0000:0001"), 0)).toBe("2001:db8::1");
    expect(clientAddress(forwardedFor("2001:db8:0:0:1:0:0:1"), 0)).toBe("2001:db8::1:0:0:1");
    expect(clientAddress(forwardedFor("fe80::1%eth0"), 0)).toBe("fe80::1");
    expect(clientAddress(forwardedFor("::1"), 0)).toBe("::1");
  });

  it("answers the one shared UNKNOWN_ADDRESS for anything it cannot vouch for", () => {
    const unreadable = [
      "",
      " ",
      "garbage",
      "unknown",
      "192.0.2.5,", // an empty rightmost entry
      "127.1", // forms WHATWG URLs read as IPv4, but no proxy writes
      "0x7f.0.0.1",
      "01.2.3.4",
      "256.1.1.1",
      "2130706433",
      "1.2.3.4.5",
      "::ffff:1.2.3.4.5",
      "2001:db8:::1",
      "[2001:db8::1",
      "192.0.2.5:99999999",
      "192.0.2.5 10.0.0.1",
      "for=192.0.2.5", // RFC 7239 syntax belongs in `Forwarded`
      "x".repeat(10_000),
      ",".repeat(10_000),
    ];
    for (const value of unreadable) expect(clientAddress(forwardedFor(value), 0), JSON.stringify(value.slice(0, 40))).toBe(UNKNOWN_ADDRESS);
    expect(clientAddress(new Headers(), 0)).toBe(UNKNOWN_ADDRESS);
    // Fewer entries than trusted proxies: the request did not come through them all.
    expect(clientAddress(forwardedFor("192.0.2.5"), 2)).toBe(UNKNOWN_ADDRESS);
    expect(clientAddress(forwardedFor("192.0.2.5, 10.1.0.1"), 3)).toBe(UNKNOWN_ADDRESS);
  });

  it("reads TRUSTED_PROXY_HOPS (0 by default) when not told", () => {
    expect(clientAddress(forwardedFor("203.0.113.9, 198.51.100.2"))).toBe("198.51.100.2");
  });
});

describe("addressBlock", () => {
  it("is an IPv4 address itself, and an IPv6 address's /64", () => {
    expect(addressBlock("192.0.2.5")).toBe("192.0.2.5");
    expect(addressBlock("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(addressBlock("2001:db8:1:2::99")).toBe("2001:db8:1:2::/64");
    expect(addressBlock("2001:db8::1")).toBe("2001:db8::/64");
    expect(addressBlock("2001:db8::1:2:3:4:5")).toBe("2001:db8:0:1::/64");
    expect(addressBlock("::1")).toBe("::/64");
    expect(addressBlock("fe80::1")).toBe("fe80::/64");
    expect(addressBlock(UNKNOWN_ADDRESS)).toBe(UNKNOWN_ADDRESS);
  });
});
