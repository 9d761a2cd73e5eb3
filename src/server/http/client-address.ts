import "server-only";
import { isIPv4, isIPv6 } from "node:net";
import { env } from "@/env";

/**
 * The one address of every request whose client cannot be told: a header that is missing,
 * garbled or shorter than the proxies in front of us would make it. Shared on purpose, so
 * that garbage in X-Forwarded-For cannot mint a fresh address for each request.
 */
export const UNKNOWN_ADDRESS = "unknown";

/**
 * The address of the client that sent a request, as far as this server can vouch for it:
 * the entry of X-Forwarded-For that the outermost of TRUSTED_PROXY_HOPS proxies of ours
 * wrote (that many from the right; the rightmost with none), normalised (`::ffff:127.0.0.1`
 * → `127.0.0.1`, IPv6 in its canonical lower-case form), or UNKNOWN_ADDRESS.
 *
 * Why from the right: each proxy appends the address it received the request from, so the
 * rightmost entries were written by our own proxies, and the one the outermost of them wrote
 * is the address of whoever connected to it: the client, which cannot choose it. Everything
 * further left came with the request and can say anything. Duplicated headers arrive joined
 * by commas, in order.
 *
 * What `next start` does (Next.js 16.4, seen on a direct connection and in base-server.js):
 * it sets X-Forwarded-For to the socket's address only when the request has none, and never
 * appends to one that came with the request. So behind N proxies the header ends with their
 * N entries and no entry of Next.js's, and the client is the Nth from the right, not the
 * (N+1)th. With no proxy (0 hops) the rightmost entry is the socket's address, unless the
 * client sent the header itself: then it chose its own address, and the per-address limits
 * hold only for clients that go through a proxy that appends (or overwrites) the header.
 * The per-account limit does not depend on the address.
 */
export function clientAddress(headers: Headers, trustedProxyHops: number = env().TRUSTED_PROXY_HOPS): string {
  const entries = (headers.get("x-forwarded-for") ?? "").split(",");
  // Fewer entries than our proxies write: it did not come through them (or one overwrote the
  // header with its own peer, which then is not the client).
  const entry = entries[entries.length - Math.max(1, trustedProxyHops)];
  return (entry !== undefined && normaliseAddress(entry)) || UNKNOWN_ADDRESS;
}

/**
 * What one client holds: an IPv4 address, or the /64 an IPv6 address belongs to (a host or
 * a home is given a whole /64, so counting single IPv6 addresses would give it 2^64 tries).
 */
export function addressBlock(address: string): string {
  if (!address.includes(":")) return address;
  const [head = "", tail] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return `${canonicalIPv6(`${groups.slice(0, 4).join(":")}::`)}/64`;
}

function normaliseAddress(entry: string): string | null {
  const text = entry.trim();
  // Some proxies write a port: `203.0.113.7:5120`, `[2001:db8::1]:5120`.
  const host = /^\[([^\]]*)\](?::\d{1,5})?$/.exec(text)?.[1] ?? /^([\d.]+):\d{1,5}$/.exec(text)?.[1] ?? text;
  if (isIPv4(host)) return host; // dotted decimal only: `127.1`, `0x7f.0.0.1`, `01.2.3.4` are refused
  const unzoned = host.replace(/%[\w.-]+$/, ""); // a zone (`%eth0`) names our interface, not the client
  if (!isIPv6(unzoned)) return null;
  const canonical = canonicalIPv6(unzoned);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!mapped) return canonical;
  const [high, low] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

/** RFC 5952's form (lower case, longest zero run as `::`), which the WHATWG URL parser writes. */
function canonicalIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}
