import { defineConfig } from "vitest/config";
import { alias } from "./vitest.shared";

/**
 * `npm run test:chaos`: the chaos scenarios and the bad-input corpus against two live
 * production instances (tests/chaos/global-setup.ts). Files run one at a time because they
 * share those instances, the database and the emulator's faults.
 */
export default defineConfig({
  resolve: { alias },
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
