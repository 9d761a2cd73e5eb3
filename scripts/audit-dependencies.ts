/**
 * `npm run audit`: the production dependencies against the registry's advisories. Fails
 * (exit 1) on any high or critical advisory that security/audit-allowlist.json does not accept
 * with a reason and a date; exit 3 when the registry's audit service cannot be reached, so
 * that CI reports the audit as not run rather than as passed.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { allowlistSchema, auditReportSchema, judgeAudit } from "./lib/dependency-audit";

const ALLOWLIST = "security/audit-allowlist.json";

function main(): number {
  const allowlist = allowlistSchema.safeParse(JSON.parse(readFileSync(ALLOWLIST, "utf8")));
  if (!allowlist.success) {
    console.error(`${ALLOWLIST}: ${allowlist.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`);
    return 1;
  }
  const run = spawnSync("npm", ["audit", "--omit=dev", "--json"], { encoding: "utf8", timeout: 120_000 });
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(run.stdout);
  } catch {
    // no JSON at all: handled below
  }
  const report = auditReportSchema.safeParse(parsed);
  if (!report.success) {
    const why = (parsed as { message?: unknown } | null)?.message ?? run.error?.message ?? "no report";
    console.log(`audit not run: the registry's audit service did not answer (${String(why)})`);
    return 3;
  }
  const verdict = judgeAudit(report.data, allowlist.data, new Date().toISOString().slice(0, 10));
  for (const advisory of verdict.accepted) console.log(`accepted ${advisory.id} (${advisory.name}, ${advisory.severity}): ${advisory.reason}`);
  for (const entry of verdict.stale) console.log(`stale allowlist entry ${entry.advisory} (${entry.package}): expired or no longer reported; remove it`);
  for (const advisory of verdict.blocking) console.log(`BLOCKING ${advisory.id} (${advisory.name}, ${advisory.severity}): ${advisory.title} ${advisory.url}`);
  console.log(`${verdict.blocking.length} blocking, ${verdict.accepted.length} accepted high/critical advisories`);
  return verdict.blocking.length > 0 ? 1 : 0;
}

process.exitCode = main();
