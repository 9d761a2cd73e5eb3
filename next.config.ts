import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Test harnesses (e2e, chaos, bench) may build side by side into their own directories.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  // Next.js adds its build directory's types to the tsconfig it is given: a second dev server
  // (scripts/dev.ts) points it at a copy in its own build directory, not at ours.
  typescript: { tsconfigPath: process.env.NEXT_TSCONFIG_PATH ?? "tsconfig.json" },
  reactStrictMode: true,
  poweredByHeader: false,
  // These packages load native bindings or worker threads; let Node require them at run time.
  serverExternalPackages: ["pino", "@prisma/client", "@prisma/adapter-pg", "pg"],
};

export default nextConfig;
