import { describe, expect, it } from "vitest";
import { parsePreferWait } from "./parse-prefer-wait";

const prefer = (...values: string[]) => {
  const headers = new Headers();
  for (const value of values) headers.append("Prefer", value);
  return headers;
};

describe("parsePreferWait", () => {
  it("reads RFC 7240 wait, among other preferences and header lines, capped at 10 s or at the host's cap", () => {
    expect(parsePreferWait(new Headers())).toBe(0);
    expect(parsePreferWait(prefer("wait=5"))).toBe(5);
    expect(parsePreferWait(prefer('respond-async, WAIT = "7"'))).toBe(7);
    expect(parsePreferWait(prefer("return=minimal", "wait=3"))).toBe(3);
    expect(parsePreferWait(prefer("wait=3600"))).toBe(10);
    expect(parsePreferWait(prefer("wait=9"), 8)).toBe(8); // a 10 s function answers 409 before it is killed
    expect(parsePreferWait(prefer("wait=3"), 8)).toBe(3);
  });

  it("ignores what is not a wait of whole seconds", () => {
    for (const value of ["wait=-1", "wait=1.5", "wait=", "wait=abc", "wait=1234567", "waiting=5", "wait=5x"]) {
      expect(parsePreferWait(prefer(value)), value).toBe(0);
    }
  });
});
