import { describe, expect, it } from "vitest";
import { allowlistSchema, auditReportSchema, judgeAudit, type Allowlist } from "./dependency-audit";

/** The shape `npm audit --json` prints (auditReportVersion 2), trimmed to what matters. */
const REPORT = auditReportSchema.parse({
  auditReportVersion: 2,
  vulnerabilities: {
    next: {
      name: "next",
      severity: "critical",
      isDirect: true,
      via: [
        {
          source: 1_103_916,
          name: "next",
          dependency: "next",
          title: "Authorization Bypass in Next.js Middleware",
          url: "https://github.com/advisories/GHSA-f82v-jwr5-mffw",
          severity: "critical",
          range: ">=15.0.0 <15.2.3",
        },
      ],
      effects: [],
      fixAvailable: true,
    },
    "wrapped-lib": { name: "wrapped-lib", severity: "high", isDirect: false, via: ["next"], effects: [] },
    cookie: {
      name: "cookie",
      severity: "low",
      via: [{ source: 1_099_846, name: "cookie", title: "cookie accepts out of bounds characters", url: "https://github.com/advisories/GHSA-pxg6-pf52-xh8x", severity: "low" }],
    },
    pg: {
      name: "pg",
      severity: "high",
      via: [{ source: 1_100_000, name: "pg", title: "A high one", url: "https://github.com/advisories/GHSA-2222-3333-4444", severity: "high" }],
    },
  },
  metadata: { vulnerabilities: { total: 3 } },
});

const accept = (advisory: string, pkg: string, expires = "2027-01-31"): Allowlist["accepted"][number] => ({
  advisory,
  package: pkg,
  reason: "The app does not use the affected API; reviewed on 2026-11-30.",
  expires,
});

describe("judgeAudit", () => {
  it("blocks every high and critical advisory nothing accepts, once each, and ignores low ones", () => {
    const verdict = judgeAudit(REPORT, { accepted: [] }, "2026-11-30");
    expect(verdict.blocking.map((advisory) => [advisory.id, advisory.name, advisory.severity])).toEqual([
      ["GHSA-f82v-jwr5-mffw", "next", "critical"],
      ["GHSA-2222-3333-4444", "pg", "high"],
    ]);
    expect(verdict.accepted).toEqual([]);
  });

  it("accepts an advisory listed for its package with a reason, until its date", () => {
    const allowlist = { accepted: [accept("GHSA-2222-3333-4444", "pg")] };
    const today = judgeAudit(REPORT, allowlist, "2026-11-30");
    expect(today.blocking.map((advisory) => advisory.id)).toEqual(["GHSA-f82v-jwr5-mffw"]);
    expect(today.accepted).toMatchObject([{ id: "GHSA-2222-3333-4444", reason: expect.stringContaining("does not use") }]);

    const later = judgeAudit(REPORT, allowlist, "2027-02-01");
    expect(later.blocking.map((advisory) => advisory.id)).toContain("GHSA-2222-3333-4444");
    expect(later.stale).toHaveLength(1);
  });

  it("does not let an entry for one package accept the same advisory in another", () => {
    const verdict = judgeAudit(REPORT, { accepted: [accept("GHSA-2222-3333-4444", "next")] }, "2026-11-30");
    expect(verdict.blocking.map((advisory) => advisory.name)).toEqual(["next", "pg"]);
    expect(verdict.stale).toMatchObject([{ package: "next" }]);
  });
});

describe("the allowlist file's rules", () => {
  it.each([
    ["no reason", { ...accept("GHSA-2222-3333-4444", "pg"), reason: "" }],
    ["a reason of a word", { ...accept("GHSA-2222-3333-4444", "pg"), reason: "fine" }],
    ["no date", { advisory: "GHSA-2222-3333-4444", package: "pg", reason: "The app does not use the affected API at all." }],
    ["a date that is not one", accept("GHSA-2222-3333-4444", "pg", "soon")],
    ["an id that is not a GHSA", accept("CVE-2025-1234", "pg")],
    ["an unknown field", { ...accept("GHSA-2222-3333-4444", "pg"), severity: "low" }],
  ])("refuses an entry with %s", (_what, entry) => {
    expect(allowlistSchema.safeParse({ accepted: [entry] }).success).toBe(false);
  });

  it("accepts the committed file", async () => {
    const { readFile } = await import("node:fs/promises");
    const committed: unknown = JSON.parse(await readFile("security/audit-allowlist.json", "utf8"));
    expect(allowlistSchema.safeParse(committed).success).toBe(true);
  });
});
