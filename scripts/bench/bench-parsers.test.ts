import { describe, expect, it } from "vitest";
import { parseStat, treeTicks } from "./process-cpu";
import { GROUPS, groupOfPath, summarise, type CpuProfile } from "./profile";
import { decodeMappings, decodeVlq } from "./source-map";

describe("/proc/<pid>/stat", () => {
  it("counts fields from the last parenthesis, whatever the command name holds", () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
    const line = "4242 (postgres: bench (idle)) S 4000 4000 4000 0 -1 4194560 10 0 0 0 120 30 5 2 20 0 1 0";
    expect(parseStat(line)).toEqual({ pid: 4242, ppid: 4000, ticks: 157 });
  });

  it("sums a process and everything descended from it, nothing else", () => {
    const stats = [
      { pid: 1, ppid: 0, ticks: 1_000 },
      { pid: 10, ppid: 1, ticks: 7 },
      { pid: 11, ppid: 10, ticks: 3 },
      { pid: 12, ppid: 11, ticks: 2 },
      { pid: 20, ppid: 1, ticks: 50 },
    ];
    expect(treeTicks(10, stats)).toBe(12);
    expect(treeTicks(99, stats)).toBeNull();
  });
});

describe("source maps", () => {
  it("decodes base64 VLQ", () => {
    expect(decodeVlq("AAAA")).toEqual([0, 0, 0, 0]);
    expect(decodeVlq("CADE")).toEqual([1, 0, -1, 2]);
    expect(decodeVlq("gB")).toEqual([16]);
    expect(decodeVlq("hB")).toEqual([-16]);
  });

  it("keeps source, line and column running across segments and lines, the column per line", () => {
    const lines = decodeMappings("AAAA,IAAI;ACCA");
    expect(lines).toEqual([
      [
        [0, 0, 0, 0],
        [4, 0, 0, 4],
      ],
      [[0, 1, 1, 4]],
    ]);
  });
});

describe("profile attribution", () => {
  it("groups paths by package", () => {
    expect(groupOfPath("src/server/idempotency/key-store.ts")).toBe(GROUPS.ours);
    expect(groupOfPath("node_modules/next/dist/server/base-server.js")).toBe(GROUPS.next);
    expect(groupOfPath("node_modules/@prisma/client/runtime/client.js")).toBe(GROUPS.prisma);
    expect(groupOfPath("node_modules/.prisma/client/index.js")).toBe(GROUPS.prisma);
    expect(groupOfPath("node_modules/pg-protocol/dist/parser.js")).toBe(GROUPS.pg);
    expect(groupOfPath("node_modules/stripe/esm/RequestSender.js")).toBe(GROUPS.stripe);
    expect(groupOfPath("node_modules/pino/lib/proto.js")).toBe(GROUPS.pino);
    expect(groupOfPath("node_modules/@opentelemetry/api/build/src/api/context.js")).toBe(GROUPS.otel);
    expect(groupOfPath("node_modules/zod/v4/core/parse.js")).toBe(GROUPS.zod);
    expect(groupOfPath("node_modules/left-pad/index.js")).toBe(GROUPS.packages);
  });

  it("counts only the samples inside a window, leaves idle out, and charges Node.js internals and builtins to their caller", () => {
    const frame = (functionName: string, url = "", lineNumber = -1) => ({ functionName, url, lineNumber, columnNumber: 0 });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame("(root)"), children: [2, 3, 5] },
        { id: 2, callFrame: frame("(idle)") },
        { id: 3, callFrame: frame("handle", "node_modules/stripe/esm/stripe.core.js", 9), children: [4, 6] },
        { id: 4, callFrame: frame("JSON.stringify") },
        { id: 5, callFrame: frame("processTicksAndRejections", "node:internal/process/task_queues", 66) },
        { id: 6, callFrame: frame("_writeGeneric", "node:net", 925), children: [7] },
        { id: 7, callFrame: frame("writev") },
      ],
      startTime: 1_000,
      // samples at 2000, 3000, …: each lasts 1 ms
      endTime: 9_000,
      samples: [3, 4, 2, 5, 7, 3, 3, 3],
      timeDeltas: [1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000],
    };
    const summary = summarise(profile, "x.cpuprofile", [
      { name: "load", clients: 1, startUs: 2_000, endUs: 7_000, requests: 2, processCpuMsPerRequest: null },
    ]);
    const [window] = summary.windows;
    expect(window).toMatchObject({ samples: 5, sampledMs: 5, idleMs: 1, busyMs: 4, busyMsPerRequest: 2 });
    expect(window!.groups).toEqual([
      { group: GROUPS.stripe, ms: 2, percent: 50, chargedMs: 3, chargedPercent: 75 },
      { group: GROUPS.node, ms: 2, percent: 50, chargedMs: 1, chargedPercent: 25 },
    ]);
    expect(window!.top.map((f) => [f.functionName, f.group, f.onBehalfOf])).toEqual([
      ["handle", GROUPS.stripe, GROUPS.stripe],
      ["JSON.stringify", GROUPS.stripe, GROUPS.stripe],
      ["processTicksAndRejections", GROUPS.node, GROUPS.node],
      ["writev", GROUPS.node, GROUPS.stripe],
    ]);
  });
});
