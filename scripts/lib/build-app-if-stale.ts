import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { runCommand } from "./child-processes";

const NEXT = path.resolve("node_modules/next/dist/bin/next");
/** What a production build is made from; a change to any of them makes the build stale. */
const SOURCES = ["src", "next.config.ts", "postcss.config.mjs", "package-lock.json"];

export type BuildOptions = {
  /**
   * A harness's module to build in place of the engine's phase hooks
   * (src/server/idempotency/phase-hooks.ts; NEXT_PHASE_HOOKS, see next.config.ts).
   */
  phaseHooks?: string;
  /** Another Next.js project to build, built from this repository's src/: the bench's baseline app. */
  projectDir?: string;
};

/**
 * Builds the production app into `distDir` (NEXT_DIST_DIR, see next.config.ts), so that a
 * test harness never clobbers another build, unless `distDir/BUILD_ID` is newer than every
 * source: a second run, or a run right after a build, does not build again. `rm -rf distDir`
 * forces a build. Without options it is the build `npm run build` makes, nothing added.
 *
 * Two steps, `--experimental-build-mode=compile` then `=generate`: together the output of
 * `next build` without its type check, which `npm run typecheck` owns. That check would
 * also fail the run on a type error in an unrelated file, and rewrite tsconfig.json to
 * include `distDir/types`.
 */
export async function buildAppIfStale(distDir: string, log: (line: string) => void, options: BuildOptions = {}): Promise<void> {
  const { phaseHooks, projectDir } = options;
  const sources = [...SOURCES, ...[phaseHooks, projectDir].filter((source) => source !== undefined)];
  const buildId = path.join(distDir, "BUILD_ID");
  if (existsSync(buildId) && statSync(buildId).mtimeMs > Math.max(...sources.map(newestMtime))) {
    log(`reusing the production build in ${distDir}/ (newer than the sources)`);
    return;
  }
  log(`building ${projectDir ?? "the app"} into ${distDir}/${phaseHooks ? ` with ${phaseHooks} as its phase hooks` : ""}`);
  // Never inherited: a build gets the phase hooks it asks for, or the app's own.
  const { NEXT_PHASE_HOOKS: _inherited, ...inherited } = process.env;
  const env = {
    ...inherited,
    NODE_ENV: "production",
    NEXT_DIST_DIR: distDir,
    NEXT_TELEMETRY_DISABLED: "1",
    ...(phaseHooks && { NEXT_PHASE_HOOKS: phaseHooks }),
  } as const;
  for (const mode of ["compile", "generate"]) {
    await runCommand(process.execPath, [NEXT, "build", ...(projectDir ? [projectDir] : []), `--experimental-build-mode=${mode}`], {
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
