import type { CleanupUnderLoad } from "./cleanup-under-load";

export type LoadResult = {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  non2xx: number;
  errors: number;
};

type Statements = {
  perRequest: number;
  engine: number;
  statements: { calls: number; query: string; part: "authentication" | "engine" }[];
};

export type BenchReport = {
  date: string;
  machine: string;
  durationSeconds: number;
  stripeLatencyMs: number;
  replay: LoadResult;
  bare: LoadResult;
  newKeys: { connections: number; ours: LoadResult; naive: LoadResult; limit: number }[];
  roundTrips: { newPayment: Statements; replay: Statements };
  storm: { singleMs: number; statuses: Record<string, number>; p50Ms: number; p99Ms: number; maxMs: number; paymentIntents: number };
  cleanup: CleanupUnderLoad | null;
  totalSeconds: number;
};

/** Issue "Operators and developers", item 5: the cleanup may cost the replays' p99 at most this much. */
const CLEANUP_GOAL_PERCENT = 10;
const ratio = (a: number, b: number) => (b === 0 ? "∞" : `${(a / b).toFixed(2)}×`);
const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;

/** docs/BENCHMARKS.md from one run's measurements. */
export function renderReport(r: BenchReport): string {
  const at100 = r.newKeys.find((n) => n.connections === 100);
  const replayRatio = r.replay.requestsPerSecond / Math.max(r.bare.requestsPerSecond, 1e-9);
  const newRatio = at100 ? at100.ours.requestsPerSecond / Math.max(at100.naive.requestsPerSecond, 1e-9) : 0;
  return [
    "# Benchmarks",
    "",
    `Measured by \`npm run bench\` on ${r.date.slice(0, 10)} (${r.machine}); each load ${r.durationSeconds} s with`,
    `autocannon against the app's production server (\`next start\`; the bare read and the naive design against the`,
    `baseline app's, beside it), embedded PostgreSQL 17 and the Stripe emulator answering after ${r.stripeLatencyMs} ms.`,
    "The machine is shared and noisy: compare the ratios, which are",
    "measured side by side in the same run, not the absolute numbers.",
    "",
    "## Summary",
    "",
    row(["goal", "measured", "met?"]),
    row(["---", "---", "---"]),
    row(["replay throughput ≥ 0.8× a bare authenticated indexed read", ratio(r.replay.requestsPerSecond, r.bare.requestsPerSecond), replayRatio >= 0.8 ? "yes" : "**no**"]),
    row(["new payments ≥ 5× the naive design at 100 clients", ratio(at100?.ours.requestsPerSecond ?? 0, at100?.naive.requestsPerSecond ?? 0), newRatio >= 5 ? "yes" : "**no**"]),
    row(["DB round trips per replay: 1 (engine)", `${r.roundTrips.replay.engine} (+ ${round2(r.roundTrips.replay.perRequest - r.roundTrips.replay.engine)} authentication)`, r.roundTrips.replay.engine <= 1 ? "yes" : "**no**"]),
    row(["DB round trips per new payment: ≤ 3 (engine)", `${r.roundTrips.newPayment.engine} (+ ${round2(r.roundTrips.newPayment.perRequest - r.roundTrips.newPayment.engine)} authentication)`, r.roundTrips.newPayment.engine <= 3 ? "yes" : "**no**"]),
    ...(r.cleanup
      ? [
          row([
            `replay p99 during the TTL cleanup of ${r.cleanup.seeded.toLocaleString("en")} keys ≤ ${CLEANUP_GOAL_PERCENT} % above without it`,
            `${signed(r.cleanup.p99ChangePercent)} % (${r.cleanup.without.p99Ms} → ${r.cleanup.during.p99Ms} ms)`,
            r.cleanup.p99ChangePercent <= CLEANUP_GOAL_PERCENT ? "yes" : "**no**",
          ]),
        ]
      : []),
    ...(newRatio >= 5 || !at100 ? [] : missedNewKeyGoal(r, at100)),
    "",
    "## Replay vs a bare authenticated read (50 clients)",
    "",
    row(["route", "req/s", "p50 ms", "p99 ms", "2xx", "non-2xx", "errors"]),
    row(["---", "---", "---", "---", "---", "---", "---"]),
    loadRow("POST /api/payments, replayed key", r.replay),
    loadRow("GET /api/bench/bare (auth + one indexed read)", r.bare),
    "",
    `Replay / bare: **${ratio(r.replay.requestsPerSecond, r.bare.requestsPerSecond)}** throughput.`,
    "",
    `## New payments vs the naive design (Stripe ${r.stripeLatencyMs} ms)`,
    "",
    "The naive baseline (`/api/bench/naive-payments`, served by the benchmark's own baseline app,",
    "`scripts/bench/baseline-app`, never by the app) follows the tutorial: the Stripe call runs inside an interactive",
    "Prisma transaction, so each payment holds one of the pool's connections for the whole call.",
    "The limit is what Stripe's latency alone allows: clients ÷ latency.",
    "",
    row(["clients", "ours req/s", "ours p50/p99 ms", "naive req/s", "naive p50/p99 ms", "naive non-2xx + errors", "ours ÷ naive", "limit req/s", "ours ÷ limit"]),
    row(["---", "---", "---", "---", "---", "---", "---", "---", "---"]),
    ...r.newKeys.map((n) =>
      row([
        n.connections,
        n.ours.requestsPerSecond,
        `${n.ours.p50Ms} / ${n.ours.p99Ms}`,
        n.naive.requestsPerSecond,
        `${n.naive.p50Ms} / ${n.naive.p99Ms}`,
        n.naive.non2xx + n.naive.errors,
        ratio(n.ours.requestsPerSecond, n.naive.requestsPerSecond),
        Math.round(n.limit),
        ratio(n.ours.requestsPerSecond, n.limit),
      ]),
    ),
    "",
    "## Database round trips per request",
    "",
    "Counted with `pg_stat_statements` over 50 sequential requests each (calls ÷ requests), authentication",
    "by API key included. `tests/integration/payments-round-trips.test.ts` asserts the engine's own share",
    "(3 for a new payment, 1 for a replay) on every test run.",
    "",
    ...(["newPayment", "replay"] as const).flatMap((kind) => [
      `**${kind === "newPayment" ? "New payment" : "Replay"}: ${r.roundTrips[kind].perRequest} per request**`,
      "",
      row(["per request", "part", "statement"]),
      row(["---", "---", "---"]),
      ...r.roundTrips[kind].statements.map((s) => row([s.calls.toFixed(2), s.part, `\`${s.query.replaceAll("|", "\\|")}\``])),
      "",
    ]),
    "## Same-key storm",
    "",
    `100 concurrent requests with one new key and \`Prefer: wait=10\`: statuses ${JSON.stringify(r.storm.statuses)},`,
    `${r.storm.paymentIntents} PaymentIntent(s) created for the storm's key.`,
    "",
    row(["", "ms"]),
    row(["---", "---"]),
    row(["one request alone", r.storm.singleMs]),
    row(["storm p50", r.storm.p50Ms]),
    row(["storm p99", r.storm.p99Ms]),
    row(["storm max", r.storm.maxMs]),
    "",
    ...cleanupSection(r.cleanup),
    "## How to reproduce",
    "",
    "```sh",
    "npm run bench                      # builds into .next-bench and .next-bench-baseline if needed",
    "BENCH_DURATION_SECONDS=20 npm run bench",
    "BENCH_CLEANUP_KEYS=100000 BENCH_CLEANUP_FLAGS='--max-duty 20' npm run bench   # other pacing; 0 keys skips the cleanup",
    "```",
    "",
    `This run took ${r.totalSeconds} s${r.cleanup ? `, ${r.cleanup.phaseSeconds} s of it the cleanup's phase` : ""}. Raw numbers: [benchmarks.json](benchmarks.json).`,
    "",
  ].join("\n");
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : String(value);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Why the ≥ 5× goal was missed in this run, from this run's own numbers. */
function missedNewKeyGoal(r: BenchReport, at100: BenchReport["newKeys"][number]): string[] {
  const naiveCeiling = Math.round(10 / (r.stripeLatencyMs / 1000));
  return [
    "",
    `**Why the 5× goal is missed here.** The naive design is capped by its pool, not by the machine:`,
    `10 connections ÷ (${r.stripeLatencyMs} ms of Stripe + its queries) ≈ ${naiveCeiling} req/s at most, and it measured`,
    `${at100.naive.requestsPerSecond} req/s at every client count from 50 up. Ours holds no connection during the Stripe call,`,
    `so it is capped by CPU instead: on these ${r.machine.split(" ")[0]} cores the app, PostgreSQL, the emulator and the load generator`,
    `share the processors, and even a replay (authentication + one statement) tops out at ${r.replay.requestsPerSecond} req/s;`,
    `a new payment also runs the Stripe SDK and the emulator, so ours reached ${at100.ours.requestsPerSecond} req/s`,
    `(${(at100.ours.requestsPerSecond / at100.limit).toFixed(2)}× the latency limit). What closes the gap: more cores for the app, or the emulator and`,
    "load generator on another machine (ours scales, the naive design stays at its pool ÷ latency), and realistic Stripe",
    "latency (300–500 ms) cuts the naive ceiling to 20–33 req/s while ours stays CPU-bound.",
  ];
}

function cleanupSection(c: CleanupUnderLoad | null): string[] {
  if (!c) return [];
  const flags = [...c.flags, "--max-seconds", String(c.runSeconds)].join(" ");
  const deletingMs = c.durationMs - c.pausedMs;
  const keysPerSecond = c.deleted / (c.durationMs / 1000);
  const met = c.p99ChangePercent <= CLEANUP_GOAL_PERCENT;
  return [
    "## TTL cleanup under load",
    "",
    `${c.seeded.toLocaleString("en")} expired keys seeded (${c.seedSeconds} s, then vacuumed and checkpointed), then deleted by`,
    `\`npm run cleanup -- ${flags}\`${c.flags.length === 0 ? " (its default pacing)" : ""} while ${c.clients} clients kept replaying a payment.`,
    `The two sides are interleaved under one continuous load: ${c.withoutWindowSeconds} s without, a cleanup run of at most ${c.runSeconds} s,`,
    `${c.withoutWindowSeconds} s without, … until no expired key is left; each side's percentiles are over all of its windows (a`,
    "run's start-up, until its first batch, counts on neither). One window is not enough on this shared machine: the",
    `${c.without.windowP99Ms.length} windows without a cleanup had p99s from ${Math.min(...c.without.windowP99Ms)} to ${Math.max(...c.without.windowP99Ms)} ms, and the ${c.during.windowP99Ms.length} with one from`,
    `${Math.min(...c.during.windowP99Ms)} to ${Math.max(...c.during.windowP99Ms)} ms.`,
    "",
    row(["replays", "measured s", "requests", "req/s", "p50 ms", "p99 ms", "p99 vs without", "non-2xx", "errors"]),
    row(["---", "---", "---", "---", "---", "---", "---", "---", "---"]),
    latencyRow("without the cleanup", c.without, ""),
    latencyRow("during the cleanup", c.during, `**${signed(c.p99ChangePercent)} %**`),
    "",
    `Replay p99 during the cleanup: **${signed(c.p99ChangePercent)} %** against without it; the goal is ≤ ${CLEANUP_GOAL_PERCENT} %: ${met ? "met" : "**missed**"}.`,
    "",
    `The cleanup deleted ${c.deleted.toLocaleString("en")} keys in ${c.runs} runs, ${c.batches} batches and ${round1(c.durationMs / 1000)} s in all`,
    `(${Math.round(keysPerSecond).toLocaleString("en")} keys/s): ${round1(deletingMs / 1000)} s in statements (${round1((deletingMs / c.durationMs) * 100)} % of the time) and ${round1(c.pausedMs / 1000)} s pausing.`,
    `Batches held ${c.batchSizes[0]}–${c.batchSizes[2]} keys (median ${c.batchSizes[1]}) and took ${c.batchMs[0]}–${c.batchMs[2]} ms (median ${c.batchMs[1]});`,
    `${c.remaining} expired keys were left, and autovacuum passed over the table ${c.autovacuums} time(s) meanwhile.`,
    ...(c.seeded < 1_000_000
      ? [`The goal is stated for 1,000,000 keys; at this rate they would take about ${Math.round(1_000_000 / keysPerSecond)} s.`]
      : []),
    "",
    `First run's summary: \`${c.summaries[0] ?? ""}\``,
    "",
  ];
}

function latencyRow(name: string, l: CleanupUnderLoad["during"], change: string): string {
  return row([name, l.seconds, l.requests, l.requestsPerSecond, l.p50Ms, l.p99Ms, change, l.non2xx, l.errors]);
}

function loadRow(name: string, l: LoadResult): string {
  return row([name, l.requestsPerSecond, l.p50Ms, l.p99Ms, l.ok, l.non2xx, l.errors]);
}
