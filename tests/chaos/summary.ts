import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { onTestFinished } from "vitest";
import { chaosContext } from "./chaos-context";
import type { HttpAnswer } from "./http-client";

/** One line of the table the chaos run ends with. */
export type SummaryRow = {
  scenario: string;
  requests: number;
  /** Answers by status ("0" = no answer: connection reset or timeout). */
  statuses: Record<string, number>;
  paymentIntentsExpected: number;
  paymentIntentsCreated: number;
  durationMs: number;
  result: "pass" | "FAIL";
};

/** What a scenario counts while it runs. */
export type Tally = {
  count(answer: HttpAnswer): void;
  readonly requests: number;
  readonly statuses: Record<string, number>;
  paymentIntentsExpected: number;
  paymentIntentsCreated: number;
};

export function createTally(): Tally {
  const statuses: Record<string, number> = {};
  const tally = {
    requests: 0,
    statuses,
    paymentIntentsExpected: 0,
    paymentIntentsCreated: 0,
    count(answer: HttpAnswer) {
      tally.requests += 1;
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    },
  };
  return tally;
}

/** Appends one row to the run's summary file (the global teardown prints them). */
export function appendSummaryRow(scenario: string, tally: Tally, durationMs: number, passed: boolean): void {
  const row: SummaryRow = {
    scenario,
    requests: tally.requests,
    statuses: tally.statuses,
    paymentIntentsExpected: tally.paymentIntentsExpected,
    paymentIntentsCreated: tally.paymentIntentsCreated,
    durationMs: Math.round(durationMs),
    result: passed ? "pass" : "FAIL",
  };
  appendFileSync(chaosContext().summaryFile, `${JSON.stringify(row)}\n`);
}

/** Starts counting for the calling test; its summary row is written when the test ends, pass or fail. */
export function trackScenario(scenario: string): Tally {
  const started = performance.now();
  const tally = createTally();
  onTestFinished(({ task }) => appendSummaryRow(scenario, tally, performance.now() - started, task.result?.state === "pass"));
  return tally;
}

/** The rows recorded so far, as a plain-text table. */
export function formatSummary(file: string): string {
  const rows = existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as SummaryRow)
        .sort((a, b) => a.scenario.localeCompare(b.scenario)) // files run in any order
    : [];
  const header = ["scenario", "requests", "2xx", "409", "other 4xx", "503", "other 5xx", "no answer", "PIs expected/created", "s", "result"];
  const sum = (row: SummaryRow, test: (status: number) => boolean) =>
    Object.entries(row.statuses).reduce((total, [status, n]) => total + (test(Number(status)) ? n : 0), 0);
  const lines = rows.map((row) => [
    row.scenario,
    String(row.requests),
    String(sum(row, (s) => s >= 200 && s < 300)),
    String(sum(row, (s) => s === 409)),
    String(sum(row, (s) => s >= 400 && s < 500 && s !== 409)),
    String(sum(row, (s) => s === 503)),
    String(sum(row, (s) => s >= 500 && s !== 503)),
    String(sum(row, (s) => s === 0)),
    `${row.paymentIntentsExpected}/${row.paymentIntentsCreated}`,
    (row.durationMs / 1000).toFixed(1),
    row.result,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  return [format(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(format)].join("\n");
}
