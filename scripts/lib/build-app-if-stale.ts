import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { runCommand } from "./child-processes";

const NEXT = path.resolve("node_modules/next/dist/bin/next");
/** What a production build is made from; a change to any of them makes the build stale. */
const SOURCES = ["src", "next.config.ts", "postcss.config.mjs", "package-lock.json"];

/**
 * Builds the production app into `distDir` (NEXT_DIST_DIR, see next.config.ts), so that a
 * test harness never clobbers another build, unless `distDir/BUILD_ID` is newer than every
 * source: a second run, or a run right after a build, does not build again. `rm -rf distDir`
 * forces a build.
 *
 * Two steps, `--experimental-build-mode=compile` then `=generate`: together the output of
 * `next build` without its type check, which `npm run typecheck` owns. That check would
 * also fail the run on a type error in an unrelated file, and rewrite tsconfig.json to
 * include `distDir/types`.
 */
export async function buildAppIfStale(distDir: string, log: (line: string) => void): Promise<void> {
  const buildId = path.join(distDir, "BUILD_ID");
  if (existsSync(buildId) && statSync(buildId).mtimeMs > Math.max(...SOURCES.map(newestMtime))) {
    log(`reusing the production build in ${distDir}/ (newer than the sources)`);
    return;
  }
  log(`building the app into ${distDir}/`);
  const env = { ...process.env, NODE_ENV: "production", NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: "1" } as const;
  for (const mode of ["compile", "generate"]) {
    await runCommand(process.execPath, [NEXT, "build", `--experimental-build-mode=${mode}`], {
      env,
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
}

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(target).reduce((newest, entry) => Math.max(newest, newestMtime(path.join(target, entry))), stat.mtimeMs);
}
