import { defineConfig } from "vitest/config";
import { alias } from "./vitest.shared";

/**
 * `npm run test:e2e`: browser tests against a production build (tests/e2e/global-setup.ts
 * starts PostgreSQL, the Stripe emulator and `next start`). The files share that one
 * server and the emulator's fault settings, so they run one after another.
 */
export default defineConfig({
  resolve: { alias },
  test: {
    include: ["tests/e2e/**/*.test.ts"],
    globalSetup: ["tests/e2e/global-setup.ts"],
    setupFiles: ["tests/e2e/setup-file.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 60_000,
    // The global setup may build the app first.
    hookTimeout: 300_000,
    teardownTimeout: 30_000,
  },
});
