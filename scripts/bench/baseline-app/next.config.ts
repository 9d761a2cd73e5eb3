import path from "node:path";
import type { NextConfig } from "next";

/** The repository, whose src/ and node_modules this app builds from. */
const root = path.resolve(import.meta.dirname, "../../..");

/**
 * `npm run bench`'s baseline app (scripts/bench/run-bench.ts): the routes in ./app only, the
 * tutorial's design and a bare authenticated read, compiled from the app's own src/ modules
 * and served by a second server beside the app. Its routes are in no build of the app
 * (docs/decisions/007-test-hooks-outside-src.md).
 */
const baselineConfig: NextConfig = {
  // As in the app's next.config.ts (which Next.js cannot import from here).
  poweredByHeader: false,
  serverExternalPackages: ["pino", "@prisma/client", "@prisma/adapter-pg", "pg"],
  // NEXT_DIST_DIR is named from the repository, as for the app; Next.js reads distDir from here.
  distDir: path.relative(import.meta.dirname, path.resolve(root, process.env.NEXT_DIST_DIR ?? ".next-bench-baseline")),
  turbopack: { root },
  outputFileTracingRoot: root,
};

export default baselineConfig;
