import { defineConfig } from "vitest/config";
import { alias } from "./vitest.shared";

/**
 * `npm run test:stripe`: the contract suite (tests/stripe) against whatever Stripe the
 * environment names — an emulator it starts itself by default, real Stripe test mode with an
 * sk_test_ key (README, "Against real Stripe test mode"). Its global setup decides and refuses a
 * live key before anything starts; PostgreSQL and a database per file as for `npm test`. Files
 * run one at a time: `stripe listen` forwards to one fixed URL, which each file serves in turn.
 */
export default defineConfig({
  resolve: { alias },
  test: {
    include: ["tests/stripe/**/*.test.ts"],
    globalSetup: ["tests/stripe/global-setup.ts", "tests/global-setup.ts"],
    setupFiles: ["tests/setup-file.ts", "tests/stripe/setup-file.ts"],
    pool: "forks",
    fileParallelism: false,
    server: { deps: { inline: ["next-auth"] } },
    // Against real Stripe a test may wait up to 60 s for each webhook it needs.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
