import { Writable } from "node:stream";
import pino from "pino";
import type * as loggerModule from "@/server/logger";

export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** A pino logger with `options` that appends every line it writes to `lines`. */
export function memoryLog(options: pino.LoggerOptions = { level: "info" }, lines: LogLine[] = []) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { log: pino(options, sink), lines };
}

/** What the app logged in this test file, when its logger module is replaced by loggerInMemory. */
export const loggedLines: LogLine[] = [];

/**
 * For `vi.mock("@/server/logger", async (original) => (await import("../helpers/memory-log")).loggerInMemory(await original()))`:
 * the app's logger with its real configuration (level, redaction), built on first use (after
 * the file has set LOG_LEVEL), writing into `loggedLines` instead of stdout, so that a test
 * can check what an operator would read.
 */
export function loggerInMemory(original: typeof loggerModule): typeof loggerModule {
  let instance: loggerModule.Logger | undefined;
  return { ...original, logger: () => (instance ??= memoryLog(original.loggerOptions(), loggedLines).log) };
}
