import { readFileSync } from "node:fs";
import path from "node:path";
import { ARTIFACTS_DIR } from "./artifacts";

/** Where the global setup sends `next start`'s output. */
export const SERVER_LOG = path.join(ARTIFACTS_DIR, "server.log");

/** pino's error and fatal lines, and Next.js's own "⨯" error lines. */
const ERROR_LINE = /"level":(50|60)\b|^\s*⨯/;

let seenLines = 0;

/** Error lines the server logged since the previous call (in this test file). */
export function newServerErrors(): string[] {
  const lines = readFileSync(SERVER_LOG, "utf8").split("\n");
  const fresh = lines.slice(seenLines, -1); // the last element is an unfinished line, or ""
  seenLines += fresh.length;
  return fresh.filter((line) => ERROR_LINE.test(line));
}
