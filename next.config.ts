import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Test harnesses (e2e, chaos, bench) may build side by side into their own directories.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  reactStrictMode: true,
  poweredByHeader: false,
  // These packages load native bindings or worker threads; let Node require them at run time.
  serverExternalPackages: ["pino", "@prisma/client", "@prisma/adapter-pg", "pg"],
};

export default nextConfig;
