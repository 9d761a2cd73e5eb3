import { describe, expect, it } from "vitest";
import type { CpuWindow } from "./process-cpu";
import {
  countLogLines,
  groupCpu,
  MARKER_BEGIN,
  MARKER_END,
  parseScalingOptions,
  peakOf,
  percentile,
  perPayment,
  poolSample,
  replaceBetweenMarkers,
  spreadClients,
  stripeLimits,
  type Counters,
  type PoolRow,
} from "./scaling-report";

describe("bench:scaling options", () => {
  it("defaults to 100 clients over 1, 2 and 4 instances for 15 s, 3 s with --quick", () => {
    expect(parseScalingOptions([])).toMatchObject({ clients: 100, instances: [1, 2, 4], durationSeconds: 15, latencyMs: 150, outDir: "docs" });
    expect(parseScalingOptions(["--quick"])).toMatchObject({ durationSeconds: 3, outDir: "bench-results/scaling-quick" });
    expect(parseScalingOptions(["--duration", "5", "--clients", "40", "--latency", "300", "--instances", "1, 3"])).toMatchObject({
      durationSeconds: 5,
      clients: 40,
      latencyMs: 300,
      instances: [1, 3],
    });
    expect(parseScalingOptions(["--help"])).toBeNull();
  });

  it("refuses an instance count no client would reach, and a bad number", () => {
    expect(() => parseScalingOptions(["--clients", "2", "--instances", "4"])).toThrow(/more than --clients/);
    expect(() => parseScalingOptions(["--instances", "1,x"])).toThrow(/--instances/);
  });
});

describe("client shares", () => {
  it("gives client c to instance c mod n", () => {
    expect(spreadClients(100, 1)).toEqual([100]);
    expect(spreadClients(100, 4)).toEqual([25, 25, 25, 25]);
    expect(spreadClients(10, 4)).toEqual([3, 3, 2, 2]);
  });
});

describe("percentile", () => {
  it("is the nearest rank", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });
});

describe("SHOW POOLS", () => {
  const rows: PoolRow[] = [
    { database: "bench", user: "postgres", cl_active: "40", cl_waiting: "5", sv_active: "12", sv_idle: "3", sv_used: "1", sv_login: "2", maxwait: "1", maxwait_us: "250000" },
    { database: "pgbouncer", user: "pgbouncer", cl_active: 1, cl_waiting: 0, sv_active: 0, sv_idle: 0, sv_used: 0, maxwait: 0, maxwait_us: 0 },
  ];

  it("counts the app database's clients (active + waiting) and servers (active + idle + used)", () => {
    expect(poolSample(rows, "bench")).toEqual({ clients: 45, clientsWaiting: 5, servers: 16, maxWaitMs: 1250 });
    expect(poolSample(rows, "other")).toBeNull();
  });

  it("keeps the peak of each field", () => {
    const a = { clients: 45, clientsWaiting: 5, servers: 16, maxWaitMs: 0 };
    const b = { clients: 30, clientsWaiting: 0, servers: 20, maxWaitMs: 3 };
    expect(peakOf([a, b])).toEqual({ clients: 45, clientsWaiting: 5, servers: 20, maxWaitMs: 3 });
    expect(peakOf([])).toEqual({ clients: 0, clientsWaiting: 0, servers: 0, maxWaitMs: 0 });
  });
});

describe("counters per payment", () => {
  const counters = (payments: number, queries: number, commits: number, requests: number, byRoute: Record<string, number>): Counters => ({
    pgbouncer: { queries, transactions: queries },
    postgres: { commits, rollbacks: 2, payments },
    stripe: { requests, byRoute, paymentIntents: payments },
  });

  it("divides each delta by the payments made, the reading's own commit taken off", () => {
    const before = counters(100, 1_000, 5_000, 100, { "POST /v1/payment_intents": 100 });
    const after = counters(300, 1_600, 5_601, 320, { "POST /v1/payment_intents": 300, "GET /v1/payment_intents/:id": 20 });
    expect(perPayment(before, after, 1)).toEqual({
      payments: 200,
      paymentIntents: 200,
      pgbouncerQueries: 3,
      pgbouncerTransactions: 3,
      postgresCommits: 3,
      postgresRollbacks: 0,
      stripeRequests: 1.1,
      stripeRequestsByRoute: { "GET /v1/payment_intents/:id": 0.1, "POST /v1/payment_intents": 1 },
    });
  });

  it("gives Stripe's limits in payments per second, the endpoint limit by the busiest endpoint", () => {
    const p = {
      payments: 100,
      paymentIntents: 100,
      pgbouncerQueries: 3,
      pgbouncerTransactions: 3,
      postgresCommits: 3,
      postgresRollbacks: 0,
      stripeRequests: 2,
      stripeRequestsByRoute: { "POST /v1/payment_intents": 1.5, "GET /v1/payment_intents/:id": 0.5 },
    };
    expect(stripeLimits([p, { ...p, payments: 300 }]).map((limit) => [limit.opsPerSecond, limit.requestsPerPayment, limit.paymentsPerSecond])).toEqual([
      [100, 2, 50],
      [25, 2, 12.5],
      [25, 1.5, 16.7],
    ]);
  });
});

describe("CPU by process group", () => {
  it("sums the app's instances into one group", () => {
    const window: CpuWindow = {
      loadMs: 10_000,
      requests: 1_000,
      processes: {
        "app-1": { ms: 2_000, msPerRequest: 2 },
        "app-2": { ms: 1_000, msPerRequest: 1 },
        postgres: { ms: 2_000, msPerRequest: 2 },
        pgbouncer: { ms: 200, msPerRequest: 0.2 },
        emulator: { ms: 700, msPerRequest: 0.7 },
        loadGenerator: { ms: 100, msPerRequest: 0.1 },
        total: { ms: 6_000, msPerRequest: 6 },
      },
      cores: { "app-1": 0.2, "app-2": 0.1, postgres: 0.2, pgbouncer: 0.02, emulator: 0.07, loadGenerator: 0.01, total: 0.6 },
      machine: { cores: 2, busyCores: 0.7, otherCores: 0.1, stealCores: 0 },
    };
    const cpu = groupCpu(window);
    expect(cpu.app).toEqual({ msPerPayment: 3, cores: 0.3 });
    expect(cpu.pgbouncer).toEqual({ msPerPayment: 0.2, cores: 0.02 });
    expect(cpu.total).toEqual({ msPerPayment: 6, cores: 0.6 });
  });
});

describe("the app's log", () => {
  it("counts warnings and errors by pino level, client aborts apart", () => {
    const text = [
      "▲ Next.js 16",
      '{"level":30,"msg":"request"}',
      '{"level":40,"err":{"type":"Error","message":"aborted"}}',
      '{"level":40,"msg":"slow"}',
      '{"level":50,"msg":"boom"}',
      "{not json",
    ].join("\n");
    expect(countLogLines(text)).toEqual({ aborted: 1, warn: 1, error: 1, samples: ['{"level":40,"msg":"slow"}', '{"level":50,"msg":"boom"}'] });
  });
});

describe("SCALING.md markers", () => {
  it("replaces only what lies between the markers", () => {
    const text = `# Scaling\n\nprose before\n${MARKER_BEGIN}\nold numbers\n${MARKER_END}\nprose after\n`;
    expect(replaceBetweenMarkers(text, "new numbers\n")).toBe(`# Scaling\n\nprose before\n${MARKER_BEGIN}\nnew numbers\n${MARKER_END}\nprose after\n`);
  });

  it("refuses a text without both markers, in order, once each", () => {
    expect(() => replaceBetweenMarkers("# Scaling\n", "x")).toThrow(/markers/);
    expect(() => replaceBetweenMarkers(`${MARKER_END}\n${MARKER_BEGIN}`, "x")).toThrow(/before/);
    expect(() => replaceBetweenMarkers(`${MARKER_BEGIN}${MARKER_BEGIN}${MARKER_END}`, "x")).toThrow(/twice/);
  });
});
