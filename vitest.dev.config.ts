import { defineConfig } from "vitest/config";
import { alias } from "./vitest.shared";

/**
 * `npm run test:dev`: the real `npm run dev`, started as a developer starts it (each with its
 * own data directory, .env directory and ports, never the developer's .data/), stopped by
 * signals, and the scripts run against it. Slow (Next.js boots several times), so one file at
 * a time.
 */
export default defineConfig({
  resolve: { alias },
  test: {
    include: ["tests/dev/**/*.test.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
