import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * `npm run test:chaos`: the chaos scenarios and the bad-input corpus against two live
 * production instances (tests/chaos/global-setup.ts). Files run one at a time because they
 * share those instances, the database and the emulator's faults.
 */
export default defineConfig({
  resolve: {
    alias: {
      "@": path.resolve(import.meta.dirname, "src"),
      "server-only": path.resolve(import.meta.dirname, "tests/helpers/empty-module.ts"),
    },
  },
  test: {
    include: ["tests/chaos/**/*.test.ts", "tests/corpus/**/*.test.ts"],
    globalSetup: ["tests/chaos/global-setup.ts"],
    setupFiles: ["tests/chaos/setup-file.ts"],
    pool: "forks",
    fileParallelism: false,
    // Each scenario bounds its own load in time and requests; these are backstops.
    testTimeout: 90_000,
    hookTimeout: 60_000,
    teardownTimeout: 60_000,
  },
});
