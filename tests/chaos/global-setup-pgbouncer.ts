import type { TestProject } from "vitest/node";
import { PGBOUNCER, startChaosRun } from "./global-setup";

/** The PgBouncer topology (four instances, transaction pooling): `globalSetup` of the "pgbouncer" project. */
export default function setup(project: TestProject) {
  return startChaosRun(project, PGBOUNCER);
}
