import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";
import { alias } from "./vitest.shared";

/** What both topologies' projects share. Files run one at a time: they share instances, database and the emulator's faults. */
const common: TestProjectInlineConfiguration["test"] = {
  setupFiles: ["tests/chaos/setup-file.ts"],
  pool: "forks",
  fileParallelism: false,
  // Each scenario bounds its own load in time and requests; these are backstops.
  testTimeout: 90_000,
  hookTimeout: 60_000,
};

/** The scenarios that run over both topologies (the corpus, the spec fuzzer and the Stripe faults need not run twice). */
const SCENARIOS = [
  "tests/chaos/same-key-storm.test.ts",
  "tests/chaos/crash-points.test.ts",
  "tests/chaos/postgres-restart.test.ts",
  "tests/chaos/mixed-traffic.test.ts",
];

/**
 * `npm run test:chaos`: one run, one report, two topologies, each a project with its own
 * global setup (tests/chaos/global-setup*.ts), which Vitest runs one after the other before
 * any test (so .next-chaos/ is built once, by the first), and tears down at the end:
 *
 * - "direct": every chaos scenario and the bad-input corpus against two production instances
 *   connected straight to PostgreSQL;
 * - "pgbouncer": the scenarios above against four instances (pools of 25, 100 connections in
 *   all) through PgBouncer in transaction mode, in front of a PostgreSQL with
 *   max_connections = 60, with proof that the topology is the one described.
 *
 * `sequence.groupOrder` runs the projects' files one group after the other: the two
 * topologies' tests never run at the same time (their idle processes coexist).
 */
export default defineConfig({
  resolve: { alias },
  test: {
    teardownTimeout: 60_000,
    projects: [
      {
        resolve: { alias },
        test: {
          ...common,
          name: "direct",
          include: ["tests/chaos/**/*.test.ts", "tests/corpus/**/*.test.ts"],
          globalSetup: ["tests/chaos/global-setup.ts"],
          sequence: { groupOrder: 1 },
        },
      },
      {
        resolve: { alias },
        test: {
          ...common,
          name: "pgbouncer",
          include: SCENARIOS,
          globalSetup: ["tests/chaos/global-setup-pgbouncer.ts"],
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
