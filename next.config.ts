import type { NextConfig } from "next";

// Test harnesses (e2e, chaos, bench) may build side by side into their own directories.
const distDir = process.env.NEXT_DIST_DIR ?? ".next";

/**
 * A test harness's own build may replace the engine's phase hooks, a no-op seam in the app
 * (src/server/idempotency/phase-hooks.ts), with a module of its own: the chaos suite's kills
 * the server at a chosen phase. Read at build time only, and set only by
 * scripts/lib/build-app-if-stale.ts; never into `.next`, so `npm run build` cannot pick up a
 * stray variable (docs/decisions/007-test-hooks-outside-src.md).
 */
const phaseHooks = process.env.NEXT_PHASE_HOOKS;
if (phaseHooks !== undefined && (distDir === ".next" || !/^(tests|scripts)\/[\w/.-]+\.ts$/.test(phaseHooks))) {
  throw new Error(`NEXT_PHASE_HOOKS=${phaseHooks}: only a harness's module (tests/… or scripts/…), built into its own NEXT_DIST_DIR`);
}

const nextConfig: NextConfig = {
  distDir,
  // Next.js adds its build directory's types to the tsconfig it is given: a second dev server
  // (scripts/dev.ts) points it at a copy in its own build directory, not at ours.
  typescript: { tsconfigPath: process.env.NEXT_TSCONFIG_PATH ?? "tsconfig.json" },
  reactStrictMode: true,
  poweredByHeader: false,
  // API routes log their own JSON line (withRoute, with the request id); Next.js's dev request
  // log keeps pages only, so that a request is one line in the terminal.
  logging: { incomingRequests: { ignore: [/^\/api\//] } },
  // These packages load native bindings or worker threads; let Node require them at run time.
  serverExternalPackages: ["pino", "@prisma/client", "@prisma/adapter-pg", "pg"],
  // The engine imports the seam by exactly this specifier.
  ...(phaseHooks && { turbopack: { resolveAlias: { "@/server/idempotency/phase-hooks": `./${phaseHooks}` } } }),
};

export default nextConfig;
