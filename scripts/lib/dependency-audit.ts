import { z } from "zod";

/**
 * What `npm audit --omit=dev --json` reports (npm 7+'s format, `auditReportVersion: 2`): per
 * vulnerable package, its severity and the advisories (`via` objects) behind it. A `via`
 * that is a string names another vulnerable package the advisory comes through.
 */
const advisorySchema = z.object({
  source: z.union([z.number(), z.string()]),
  name: z.string(),
  title: z.string(),
  url: z.string(),
  severity: z.string(),
});

export const auditReportSchema = z.object({
  auditReportVersion: z.literal(2),
  vulnerabilities: z.record(z.string(), z.object({ via: z.array(z.union([z.string(), advisorySchema])) })),
});

export type Advisory = z.infer<typeof advisorySchema> & { id: string };

/** Advisories accepted on purpose: each says why it does not affect this app, and until when. */
export const allowlistSchema = z.object({
  accepted: z.array(
    z
      .object({
        /** The GitHub advisory id (GHSA-…) as in the advisory's URL. */
        advisory: z.string().regex(/^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/, "must be a GHSA id"),
        package: z.string().min(1),
        reason: z.string().trim().min(20, "must say why the advisory does not affect this app"),
        /** YYYY-MM-DD: after this day the entry no longer counts, and the advisory fails the audit again. */
        expires: z.iso.date(),
      })
      .strict(),
  ),
});

export type Allowlist = z.infer<typeof allowlistSchema>;

const BLOCKING = new Set(["high", "critical"]);

export type AuditVerdict = {
  /** High or critical advisories that nothing accepts: the audit fails. */
  blocking: Advisory[];
  /** High or critical advisories an allowlist entry accepts, with its reason. */
  accepted: Array<Advisory & { reason: string }>;
  /** Entries past their date, or naming an advisory the report no longer has: to be removed. */
  stale: Allowlist["accepted"];
};

/** The advisories of a report, once each, with their GHSA id (from the URL). */
export function advisoriesOf(report: z.infer<typeof auditReportSchema>): Advisory[] {
  const byId = new Map<string, Advisory>();
  for (const vulnerability of Object.values(report.vulnerabilities)) {
    for (const via of vulnerability.via) {
      if (typeof via === "string") continue;
      const id = /GHSA(-[0-9a-z]{4}){3}/i.exec(via.url)?.[0] ?? `npm-${via.source}`;
      byId.set(`${id}:${via.name}`, { ...via, id });
    }
  }
  return [...byId.values()];
}

/** Which high and critical advisories fail the audit, given what is accepted and today's date. */
export function judgeAudit(report: z.infer<typeof auditReportSchema>, allowlist: Allowlist, today: string): AuditVerdict {
  const live = allowlist.accepted.filter((entry) => entry.expires >= today);
  const advisories = advisoriesOf(report).filter((advisory) => BLOCKING.has(advisory.severity));
  const verdict: AuditVerdict = { blocking: [], accepted: [], stale: allowlist.accepted.filter((entry) => entry.expires < today) };
  for (const advisory of advisories) {
    const entry = live.find((candidate) => candidate.advisory.toLowerCase() === advisory.id.toLowerCase() && candidate.package === advisory.name);
    if (entry) verdict.accepted.push({ ...advisory, reason: entry.reason });
    else verdict.blocking.push(advisory);
  }
  const reported = new Set(advisoriesOf(report).map((advisory) => `${advisory.id.toLowerCase()}:${advisory.name}`));
  verdict.stale.push(...live.filter((entry) => !reported.has(`${entry.advisory.toLowerCase()}:${entry.package}`)));
  return verdict;
}
