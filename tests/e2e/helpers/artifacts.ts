import path from "node:path";

/** Screenshots and the server log of an e2e run (gitignored, kept by CI as artifacts). */
export const ARTIFACTS_DIR = path.resolve("test-results/e2e");
