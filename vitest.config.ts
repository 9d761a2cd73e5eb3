import { defineConfig } from "vitest/config";
import { alias } from "./vitest.shared";

export default defineConfig({
  resolve: { alias },
  test: {
    include: ["src/**/*.test.ts", "client/**/*.test.ts", "tests/integration/**/*.test.ts", "tools/**/*.test.ts", "scripts/**/*.test.ts"],
    globalSetup: ["tests/global-setup.ts"],
    setupFiles: ["tests/setup-file.ts"],
    pool: "forks",
    // next-auth imports "next/server" without an extension, which Node's ESM loader refuses;
    // bundling it through Vite resolves it as Next.js itself does.
    server: { deps: { inline: ["next-auth"] } },
    testTimeout: 30_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
