import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/**
 * What only the harnesses' own code holds (docs/decisions/007-test-hooks-outside-src.md):
 * the chaos crash hook, whose log line names its variable (tests/chaos/crash-at-phase.ts),
 * and the benchmark baseline's routes (scripts/bench/baseline-app/app/api/bench/).
 * The harness builds that hold them check that these are found there
 * (tests/chaos/chaos-build.test.ts, scripts/bench/run-bench.ts), so a renamed hook cannot
 * make the production check pass by no longer matching.
 */
export const TEST_HOOK_MARKERS = { crashHook: "CHAOS_CRASH_AT", benchRoutes: "/api/bench/" } as const;

export type TestHook = keyof typeof TEST_HOOK_MARKERS;

/**
 * The test hooks a Next.js build holds, each with the files that show it: every file under
 * `distDir/server` (server chunks, route manifests, source maps with their sources) whose
 * path or text contains the hook's marker. Empty for a build users may get.
 */
export function testHooksIn(distDir: string): Partial<Record<TestHook, string[]>> {
  const found: Partial<Record<TestHook, string[]>> = {};
  for (const entry of readdirSync(path.join(distDir, "server"), { recursive: true, encoding: "utf8" })) {
    const file = path.join("server", entry);
    if (!statSync(path.join(distDir, file)).isFile()) continue;
    const haystack = `${file}\n${readFileSync(path.join(distDir, file), "latin1")}`;
    for (const [hook, marker] of Object.entries(TEST_HOOK_MARKERS) as Array<[TestHook, string]>) {
      if (haystack.includes(marker)) (found[hook] ??= []).push(file);
    }
  }
  return found;
}
