import type { CleanupUnderLoad } from "./cleanup-under-load";
import type { CpuWindow } from "./process-cpu";
import { GROUPS, type ProfileSummary, type ProfileWindow } from "./profile";

export type LoadResult = {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Responses received. */
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
  /** CPU between two readings taken while the load ran, and the responses received between them. */
  cpu: CpuWindow;
};

export type RoundTrips = {
  perRequest: number;
  /** Statements that read the API key or its user. */
  authentication: number;
  /** BEGIN, COMMIT and the like. */
  transactionControl: number;
  statuses: Record<string, number>;
  statements: { calls: number; query: string; part: "authentication" | "authentication + work" | "work" | "transaction control" }[];
};

export type MatrixCell = {
  latencyMs: number;
  clients: number;
  newPayments: { ours: LoadResult; naive: LoadResult };
  replays: { ours: LoadResult; naive: LoadResult };
};

export type Target = {
  goal: string;
  measured: string;
  /** null: not measured in this run. */
  met: boolean | null;
  /** Why it was missed, from this run's numbers. */
  why: string[];
};

export type BenchReport = {
  date: string;
  machine: string;
  node: string;
  postgres: string;
  clockTicksPerSecond: number;
  options: {
    argv: string[];
    quick: boolean;
    durationSeconds: number;
    /** The part of each load whose CPU is counted, from its start. */
    measuredMs: { fromMs: number; toMs: number };
    latenciesMs: number[];
    clients: number[];
    roundTripRequests: number;
    poolSize: number;
  };
  /** CPU per request summed over the matrix's loads of each kind, and the bare read's load. */
  cpu: {
    newPayments: { ours: CpuWindow | null; naive: CpuWindow | null };
    replays: { ours: CpuWindow | null; naive: CpuWindow | null };
    bare: CpuWindow;
  };
  matrix: MatrixCell[];
  roundTrips: {
    ours: { newPayment: RoundTrips; replay: RoundTrips };
    naive: { newPayment: RoundTrips; replay: RoundTrips };
    bare: RoundTrips;
  };
  bareVsReplay: { clients: number; replay: LoadResult; bare: LoadResult };
  storm: { latencyMs: number; singleMs: number; statuses: Record<string, number>; p50Ms: number; p99Ms: number; maxMs: number; paymentIntents: number };
  profile: ProfileSummary | null;
  cleanup: CleanupUnderLoad | null;
  targets: Target[];
  phaseSeconds: Record<string, number>;
  totalSeconds: number;
};

/** Issue 21's targets (and the earlier issues' that the bench still measures). */
export const GOALS = {
  newPaymentRatio: [
    { latencyMs: 150, clients: 100, ratio: 5 },
    { latencyMs: 300, clients: 100, ratio: 8 },
  ],
  appCpuShare: 0.5,
  replayRatio: 1,
  roundTripsNewPayment: 3,
  roundTripsReplay: 2,
  replayVsBare: 0.8,
  cleanupP99Percent: 10,
} as const;

/** Cores busy (ours and the rest of the machine) from which a load counts as CPU-bound. */
const CPU_BOUND_SHARE = 0.85;
/** A server's cores from which its one JavaScript thread counts as the bound. */
const SERVER_BOUND_CORES = 0.8;

/** The processes of the CPU tables, in order, with their column names. */
const PROCESSES: [string, string][] = [
  ["app", "app"],
  ["baseline", "baseline app"],
  ["postgres", "PostgreSQL"],
  ["emulator", "Stripe emulator"],
  ["loadGenerator", "load generator"],
  ["total", "all"],
];

const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
const header = (cells: string[]) => [row(cells), row(cells.map(() => "---"))];
const ratioOf = (a: number, b: number) => (b === 0 ? Infinity : a / b);
const times = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : "∞");
const ms2 = (value: number | undefined) => (value === undefined ? "–" : value.toFixed(2));

/** docs/BENCHMARKS.md from one run's measurements: every number and every claim from `r`. */
export function renderReport(r: BenchReport): string {
  const o = r.options;
  const ran = ["npm run bench", ...(o.argv.length > 0 ? ["--", ...o.argv] : [])].join(" ");
  return [
    "# Benchmarks",
    "",
    `Measured by \`${ran}\` on ${r.date.slice(0, 10)} (${r.machine}; Node ${r.node}; PostgreSQL ${r.postgres}).`,
    ...(o.quick ? ["", `**A quick run (\`--quick\`): ${o.durationSeconds} s loads, a smoke test of the bench, not a measurement.**`] : []),
    "",
    `Each load ran ${o.durationSeconds} s of autocannon (in the bench's own process) against production servers (\`next start\`):`,
    "the app as users build it, and beside it the benchmark's baseline app (`scripts/bench/baseline-app`: the tutorial's",
    "naive design and a bare authenticated read, built from the same `src/` modules). Both use one embedded PostgreSQL",
    `and one Stripe emulator (a process of its own) whose latency was ${list(o.latenciesMs.map((l) => `${l} ms`))} as each table says,`,
    `and both servers a pool of ${o.poolSize} database connections (\`DATABASE_POOL_SIZE\`).`,
    "",
    ...cpuSection(r),
    ...targetsSection(r),
    ...matrixSection(r),
    ...roundTripsSection(r),
    ...profileSection(r),
    ...bareSection(r),
    ...stormSection(r),
    ...cleanupSection(r.cleanup),
    "## How to reproduce",
    "",
    "```sh",
    "npm run bench                           # builds into .next-bench and .next-bench-baseline if needed; writes docs/",
    "npm run bench -- --profile              # and a CPU profile of the app's request path",
    "npm run bench -- --quick                # a smoke run of a few minutes, into bench-results/quick/",
    "npm run bench -- --duration 30 --latencies 150,300,600 --clients 10,50,100,200",
    "BENCH_CLEANUP_KEYS=100000 BENCH_CLEANUP_FLAGS='--max-duty 20' npm run bench   # other pacing; 0 keys skips the cleanup",
    "```",
    "",
    `This run took ${r.totalSeconds} s (${Object.entries(r.phaseSeconds)
      .map(([name, s]) => `${PHASE_NAMES[name] ?? name} ${s} s`)
      .join(", ")}). Raw numbers: [benchmarks.json](benchmarks.json).`,
    "",
  ].join("\n");
}

const PHASE_NAMES: Record<string, string> = {
  build: "builds",
  roundTrips: "round-trip counts",
  bareVsReplay: "replay vs bare read",
  matrix: "matrix",
  profile: "profile",
  cleanup: "cleanup under load",
};

// ---------------------------------------------------------------- CPU per request

function cpuSection(r: BenchReport): string[] {
  const { cpu } = r;
  const kinds: [string, CpuWindow | null][] = [
    ["new payment, ours", cpu.newPayments.ours],
    ["new payment, naive", cpu.newPayments.naive],
    ["replay, ours", cpu.replays.ours],
    ["replay, naive", cpu.replays.naive],
    [`bare authenticated read (${r.bareVsReplay.clients} clients)`, cpu.bare],
  ];
  const loads = r.matrix.length;
  const windows = [...r.matrix.flatMap((c) => [c.newPayments.ours, c.newPayments.naive, c.replays.ours, c.replays.naive]), r.bareVsReplay.bare, r.bareVsReplay.replay];
  const others = windows.map((w) => w.cpu.machine.otherCores);
  const steal = Math.max(...windows.map((w) => w.cpu.machine.stealCores));
  const newOurs = cpu.newPayments.ours;
  const newNaive = cpu.newPayments.naive;
  const replayOurs = cpu.replays.ours;
  const replayNaive = cpu.replays.naive;
  const compare = (what: string, ours: CpuWindow | null, naive: CpuWindow | null) => {
    if (!ours || !naive) return [];
    const appOurs = ours.processes.app?.msPerRequest ?? 0;
    const appNaive = naive.processes.baseline?.msPerRequest ?? 0;
    const pgOurs = ours.processes.postgres?.msPerRequest ?? 0;
    const pgNaive = naive.processes.postgres?.msPerRequest ?? 0;
    return [
      `Per ${what}: app server ${ms2(appOurs)} ms ours vs ${ms2(appNaive)} ms naive (${times(ratioOf(appOurs, appNaive))}), PostgreSQL`,
      `${ms2(pgOurs)} vs ${ms2(pgNaive)} ms (${times(ratioOf(pgOurs, pgNaive))}), all processes ${ms2(ours.processes.total?.msPerRequest)} vs ${ms2(naive.processes.total?.msPerRequest)} ms.`,
    ];
  };
  return [
    "## CPU per request, by process",
    "",
    "CPU time (user + system) each process used per request, in ms. Each process's counters are read from",
    `\`/proc/<pid>/stat\` (utime + stime, plus cutime + cstime of its reaped children; ${r.clockTicksPerSecond} ticks a second) for it and`,
    `every process descended from it, twice while each load ran at full concurrency (${r.options.measuredMs.fromMs / 1000} s and ${r.options.measuredMs.toMs / 1000} s into its`,
    `${r.options.durationSeconds} s), and divided by the responses received in between: in a closed loop at a steady state the work`,
    "in flight at the two readings is alike. PostgreSQL is the postmaster and all its backends; the load generator is",
    "the bench's own process (`process.cpuUsage()`). The app serves our loads and the baseline app the naive design's;",
    `each row sums the ${loads} loads of its kind in the matrix below (${list(r.options.latenciesMs.map((l) => `${l} ms`))} × ${list(r.options.clients.map(String))} clients).`,
    "",
    ...header(["requests of", "responses measured", ...PROCESSES.map(([, name]) => `${name} ms`)]),
    ...kinds.map(([name, w]) => row([name, w?.requests ?? 0, ...PROCESSES.map(([key]) => ms2(w?.processes[key]?.msPerRequest))])),
    "",
    ...compare("new payment", newOurs, newNaive),
    ...compare("replay", replayOurs, replayNaive),
    "",
    `While the loads ran, the rest of the machine (processes outside this run, interrupts) kept ${round2(mean(others))} of its`,
    `${r.matrix[0]?.newPayments.ours.cpu.machine.cores ?? "?"} cores busy on average (${round2(Math.min(...others))} to ${round2(Math.max(...others))} by load)` +
      (steal > 0 ? `, and the hypervisor took up to ${steal} cores.` : "."),
    "Throughput (req/s) shares the machine with them; the CPU time above is counted for this run's processes only.",
    "",
  ];
}

// ---------------------------------------------------------------- targets

/** Each target of issue 21 (and the earlier ones the bench measures), met or not, and why not. */
export function evaluateTargets(r: BenchReport): Target[] {
  const targets: Target[] = [];
  for (const goal of GOALS.newPaymentRatio) {
    const cell = r.matrix.find((c) => c.latencyMs === goal.latencyMs && c.clients === goal.clients);
    const name = `new payments at ${goal.clients} clients, Stripe ${goal.latencyMs} ms: ≥ ${goal.ratio}× the naive design`;
    if (!cell) {
      targets.push({ goal: name, measured: "not measured in this run", met: null, why: [] });
      continue;
    }
    const { ours, naive } = cell.newPayments;
    const ratio = ratioOf(ours.requestsPerSecond, naive.requestsPerSecond);
    const met = ratio >= goal.ratio;
    targets.push({
      goal: name,
      measured: `${times(ratio)} (${ours.requestsPerSecond} vs ${naive.requestsPerSecond} req/s)`,
      met,
      why: met ? [] : whyThroughput(r, cell, goal.ratio),
    });
  }

  const { ours: cpuOurs, naive: cpuNaive } = r.cpu.newPayments;
  if (cpuOurs && cpuNaive) {
    const ours = cpuOurs.processes.app?.msPerRequest ?? 0;
    const naive = cpuNaive.processes.baseline?.msPerRequest ?? 0;
    const share = ratioOf(ours, naive);
    const met = share <= GOALS.appCpuShare;
    targets.push({
      goal: `app CPU per new payment ≤ ${GOALS.appCpuShare}× the naive design's`,
      measured: `${times(share)} (${ms2(ours)} vs ${ms2(naive)} ms)`,
      met,
      why: met ? [] : whyCpu(r, ours, naive),
    });
  }

  if (r.matrix.length > 0) {
    const ratios = r.matrix.map((cell) => ({ cell, ratio: ratioOf(cell.replays.ours.requestsPerSecond, cell.replays.naive.requestsPerSecond) }));
    const worst = ratios.reduce((a, b) => (b.ratio < a.ratio ? b : a));
    const met = worst.ratio >= GOALS.replayRatio;
    const below = ratios.filter((x) => x.ratio < GOALS.replayRatio).length;
    targets.push({
      goal: "replays at least as fast as the naive design's replay, at every latency and client count",
      measured: `${below} of ${ratios.length} below; the lowest ${times(worst.ratio)} (${worst.cell.latencyMs} ms, ${worst.cell.clients} clients)`,
      met,
      why: met ? [] : whyReplay(r, worst.cell),
    });
  }

  const rtNew = r.roundTrips.ours.newPayment;
  const rtReplay = r.roundTrips.ours.replay;
  for (const [goal, trips, limit] of [
    ["DB round trips per new payment, authentication included", rtNew, GOALS.roundTripsNewPayment],
    ["DB round trips per replay, authentication included", rtReplay, GOALS.roundTripsReplay],
  ] as const) {
    const met = trips.perRequest <= limit;
    targets.push({
      goal: `${goal}: ≤ ${limit}`,
      measured: `${trips.perRequest} (${trips.authentication} authentication)`,
      met,
      why: met ? [] : [`Ours sent, per request: ${trips.statements.map((s) => `${s.calls} × ${s.part} (\`${s.query.slice(0, 40)}…\`)`).join("; ")}.`],
    });
  }

  const replayVsBare = ratioOf(r.bareVsReplay.replay.requestsPerSecond, r.bareVsReplay.bare.requestsPerSecond);
  targets.push({
    goal: `replay throughput ≥ ${GOALS.replayVsBare}× a bare authenticated indexed read (${r.bareVsReplay.clients} clients)`,
    measured: `${times(replayVsBare)} (${r.bareVsReplay.replay.requestsPerSecond} vs ${r.bareVsReplay.bare.requestsPerSecond} req/s)`,
    met: replayVsBare >= GOALS.replayVsBare,
    why:
      replayVsBare >= GOALS.replayVsBare
        ? []
        : [
            `Per request the replay used ${ms2(r.bareVsReplay.replay.cpu.processes.app?.msPerRequest)} ms of app CPU and ${r.roundTrips.ours.replay.perRequest} round trips;` +
              ` the bare read ${ms2(r.bareVsReplay.bare.cpu.processes.baseline?.msPerRequest)} ms and ${r.roundTrips.bare.perRequest}.`,
          ],
  });

  if (r.cleanup) {
    const c = r.cleanup;
    targets.push({
      goal: `replay p99 during the TTL cleanup of ${c.seeded.toLocaleString("en")} keys ≤ ${GOALS.cleanupP99Percent} % above without it`,
      measured: `${signed(c.p99ChangePercent)} % (${c.without.p99Ms} → ${c.during.p99Ms} ms)`,
      met: c.p99ChangePercent <= GOALS.cleanupP99Percent,
      why: [],
    });
  }
  return targets;
}

/** Why ours did not reach `ratio` × the naive design in this cell, from the cell's numbers. */
function whyThroughput(r: BenchReport, cell: MatrixCell, ratio: number): string[] {
  const { ours, naive } = cell.newPayments;
  const latency = cell.latencyMs / 1000;
  const ceiling = r.options.poolSize / latency;
  const limit = cell.clients / latency;
  const needed = ratio * naive.requestsPerSecond;
  const holdsConnection = r.roundTrips.naive.newPayment.transactionControl > 0;
  const lines = [
    `At ${cell.latencyMs} ms and ${cell.clients} clients the naive design made ${naive.requestsPerSecond} req/s, ${pct(naive.requestsPerSecond / ceiling)} of` +
      ` pool ÷ latency = ${r.options.poolSize} ÷ ${latency} s = ${Math.round(ceiling)} req/s` +
      (holdsConnection ? " (it holds a pooled connection in a transaction across the Stripe call: BEGIN and COMMIT are among its round trips)." : ".") +
      heldFor(r, cell),
    `${ratio}× that is ${Math.round(needed)} req/s; ours made ${ours.requestsPerSecond} req/s, ${pct(ours.requestsPerSecond / limit)} of clients ÷ latency = ${Math.round(limit)} req/s,` +
      ` with a p50 of ${ours.p50Ms} ms against Stripe's ${cell.latencyMs} ms.`,
  ];
  if (ours.non2xx + ours.errors > 0) lines.push(`Ours had ${ours.non2xx} non-2xx responses and ${ours.errors} errors in this load.`);
  lines.push(cpuBound(r, ours, "ours", needed));
  return lines;
}

/** How long the naive design holds a connection, from its p50 where its pool was not yet full. */
function heldFor(r: BenchReport, cell: MatrixCell): string {
  const unqueued = r.matrix
    .filter((c) => c.latencyMs === cell.latencyMs && c.clients <= r.options.poolSize)
    .sort((a, b) => b.clients - a.clients)[0];
  if (!unqueued) return "";
  const p50 = unqueued.newPayments.naive.p50Ms;
  return ` With ${unqueued.clients} clients, no more than its pool, its p50 was ${p50} ms: Stripe's ${cell.latencyMs} ms and its own statements; ${r.options.poolSize} ÷ ${p50 / 1000} s = ${Math.round(r.options.poolSize / (p50 / 1000))} req/s.`;
}

/**
 * Whether a load was CPU-bound: the machine (our processes and the rest against its cores), or
 * the server alone (one Node.js process, its JavaScript on one thread, near a whole core).
 */
function cpuBound(r: BenchReport, load: LoadResult, who: string, neededRps?: number): string {
  const { cores, machine, processes } = load.cpu;
  const busy = (cores.total ?? 0) + machine.otherCores;
  const server = (cores.app ?? 0) >= (cores.baseline ?? 0) ? { key: "app", name: "the app's server" } : { key: "baseline", name: "the baseline app's server" };
  const serverCores = cores[server.key] ?? 0;
  const parts = PROCESSES.filter(([key]) => key !== "total" && (cores[key] ?? 0) >= 0.01).map(([key, name]) => `${name} ${cores[key]}`);
  const measured = `During this load ${who} kept ${(cores.total ?? 0).toFixed(2)} cores busy (${parts.join(", ")}) and the rest of the machine ${machine.otherCores.toFixed(2)}, of ${machine.cores}`;
  const perRequest = processes.total?.msPerRequest ?? 0;
  const need =
    neededRps === undefined
      ? ""
      : ` At ${ms2(perRequest)} ms of CPU per request over all processes (${server.name} ${ms2(processes[server.key]?.msPerRequest)} ms), ${Math.round(neededRps)} req/s would need ${round2((neededRps * perRequest) / 1000)} cores, ${server.name} alone ${round2((neededRps * (processes[server.key]?.msPerRequest ?? 0)) / 1000)}.`;
  const profiled = server.key === "app" ? r.profile?.windows.map((w) => `${round1((w.busyMs / Math.max(w.sampledMs, 1)) * 100)} % during the profiled ${w.name}`) : undefined;
  const thread =
    profiled && profiled.length > 0 ? ` (under the profiler its main thread was busy ${list(profiled)} at ${r.profile!.windows[0]!.clients} clients)` : "";
  if (busy >= CPU_BOUND_SHARE * machine.cores) return `${measured}: CPU-bound, the machine's cores nearly all busy.${need}`;
  if (serverCores >= SERVER_BOUND_CORES) {
    return `${measured}: not the machine but ${server.name}, one Node.js process running its JavaScript on one thread, used ${serverCores} of a core${thread}.${need}`;
  }
  return `${measured}: not CPU-bound by this measure (below ${pct(CPU_BOUND_SHARE)} of the cores, ${server.name} below ${SERVER_BOUND_CORES} of a core).${need}`;
}

function whyCpu(r: BenchReport, ours: number, naive: number): string[] {
  const lines = [`Ours used ${ms2(ours)} ms of app CPU per new payment, the naive design ${ms2(naive)} ms (summed over the matrix's loads).`];
  const window = r.profile?.windows.find((w) => w.name === "new payments");
  if (window) lines.push(`The profile of a new-payment load charges the app's main-thread time to: ${topGroups(window)}.`);
  return lines;
}

function whyReplay(r: BenchReport, cell: MatrixCell): string[] {
  const { ours, naive } = cell.replays;
  const lines = [
    `At ${cell.latencyMs} ms and ${cell.clients} clients: ours ${ours.requestsPerSecond} vs naive ${naive.requestsPerSecond} req/s. Per replay ours used` +
      ` ${ms2(ours.cpu.processes.app?.msPerRequest)} ms of app CPU and ${ms2(ours.cpu.processes.postgres?.msPerRequest)} ms of PostgreSQL in ${r.roundTrips.ours.replay.perRequest} round trips;` +
      ` the naive design ${ms2(naive.cpu.processes.baseline?.msPerRequest)} ms and ${ms2(naive.cpu.processes.postgres?.msPerRequest)} ms in ${r.roundTrips.naive.replay.perRequest}.`,
    cpuBound(r, ours, "ours"),
  ];
  const window = r.profile?.windows.find((w) => w.name === "replays");
  if (window) lines.push(`The profile of a replay load charges the app's main-thread time to: ${topGroups(window)}.`);
  return lines;
}

function topGroups(window: ProfileWindow): string {
  return window.groups
    .slice(0, 5)
    .map((g) => `${g.group} ${g.chargedPercent} %`)
    .join(", ");
}

function targetsSection(r: BenchReport): string[] {
  const missed = r.targets.filter((t) => t.met === false && t.why.length > 0);
  return [
    "## Targets",
    "",
    ...header(["target", "measured", "met?"]),
    ...r.targets.map((t) => row([t.goal, t.measured, t.met === null ? "not measured" : t.met ? "yes" : "**no**"])),
    "",
    ...missed.flatMap((t) => [`**Missed: ${t.goal}.** ${t.why.join(" ")}`, ""]),
  ];
}

// ---------------------------------------------------------------- the matrix

function matrixSection(r: BenchReport): string[] {
  if (r.matrix.length === 0) return [];
  const holds = r.roundTrips.naive.newPayment.transactionControl > 0;
  const fails = (l: LoadResult) => l.non2xx + l.errors;
  // The columns both comparison tables open with: the cell, each design's rate, their ratio, latencies and failures.
  const sideBySide = (c: MatrixCell, ours: LoadResult, naive: LoadResult) => [
    c.latencyMs,
    c.clients,
    ours.requestsPerSecond,
    naive.requestsPerSecond,
    `**${times(ratioOf(ours.requestsPerSecond, naive.requestsPerSecond))}**`,
    `${ours.p50Ms} / ${ours.p99Ms}`,
    `${naive.p50Ms} / ${naive.p99Ms}`,
    `${fails(ours)} / ${fails(naive)}`,
  ];
  return [
    "## New payments and replays, ours vs naive",
    "",
    "The naive baseline (`/api/bench/naive-payments`, served by the baseline app, never by the app) follows the",
    `tutorial: ${r.roundTrips.naive.newPayment.authentication > 0 ? "behind the same authentication as ours (its round trips below include the API-key lookup), it" : "it"}` +
      " checks the key and calls Stripe inside one interactive Prisma transaction" +
      (holds ? " (its BEGIN and COMMIT are counted among its round trips below)." : "."),
    "Limit: clients ÷ Stripe latency, what Stripe's latency alone allows. Naive ceiling: pool ÷ Stripe latency",
    `(${list(r.options.latenciesMs.map((l) => `${r.options.poolSize} ÷ ${l / 1000} s = ${Math.round(r.options.poolSize / (l / 1000))} req/s`))}), for a design that holds one of its ${r.options.poolSize} connections per Stripe call.`,
    "",
    "### New payments",
    "",
    ...header(["Stripe ms", "clients", "ours req/s", "naive req/s", "ours ÷ naive", "ours p50 / p99 ms", "naive p50 / p99 ms", "non-2xx + errors ours / naive", "ours ÷ limit", "naive ÷ its ceiling"]),
    ...r.matrix.map((c) => {
      const { ours, naive } = c.newPayments;
      return row([
        ...sideBySide(c, ours, naive),
        times(ours.requestsPerSecond / (c.clients / (c.latencyMs / 1000))),
        times(naive.requestsPerSecond / (r.options.poolSize / (c.latencyMs / 1000))),
      ]);
    }),
    "",
    "### Replays",
    "",
    "One key replayed by every client (ours: `/api/payments`; naive: its route), after a first request completed it." +
      (replaysSkipStripe(r)
        ? ` Neither design calls Stripe for a replay (the emulator's CPU per replay: ${ms2(r.cpu.replays.ours?.processes.emulator?.msPerRequest)} ms ours, ${ms2(r.cpu.replays.naive?.processes.emulator?.msPerRequest)} ms naive), so the rows at each latency repeat one measurement.`
        : ""),
    "",
    ...header(["Stripe ms", "clients", "ours req/s", "naive req/s", "ours ÷ naive", "ours p50 / p99 ms", "naive p50 / p99 ms", "non-2xx + errors ours / naive"]),
    ...r.matrix.map((c) => {
      const { ours, naive } = c.replays;
      return row(sideBySide(c, ours, naive));
    }),
    "",
    "### CPU of each load",
    "",
    "ms of CPU per request by process, over the responses and seconds measured, and cores busy meanwhile: this run's",
    "processes, and the rest of the machine.",
    "",
    ...header(["load", "Stripe ms", "clients", "responses measured", "over s", ...PROCESSES.map(([, name]) => `${name} ms`), "cores busy: ours", "rest of machine"]),
    ...r.matrix.flatMap((c) =>
      (
        [
          ["new payment, ours", c.newPayments.ours],
          ["new payment, naive", c.newPayments.naive],
          ["replay, ours", c.replays.ours],
          ["replay, naive", c.replays.naive],
        ] as const
      ).map(([name, l]) =>
        row([name, c.latencyMs, c.clients, l.cpu.requests, round1(l.cpu.loadMs / 1000), ...PROCESSES.map(([key]) => ms2(l.cpu.processes[key]?.msPerRequest)), l.cpu.cores.total ?? 0, l.cpu.machine.otherCores]),
      ),
    ),
    "",
  ];
}

/** Whether the emulator did (next to) nothing for replays: under a twentieth of a ms per request. */
function replaysSkipStripe(r: BenchReport): boolean {
  const emulator = [r.cpu.replays.ours, r.cpu.replays.naive].map((w) => w?.processes.emulator?.msPerRequest ?? Infinity);
  return r.options.latenciesMs.length > 1 && emulator.every((ms) => ms < 0.05);
}

// ---------------------------------------------------------------- round trips

function roundTripsSection(r: BenchReport): string[] {
  const kinds: [string, RoundTrips][] = [
    ["new payment, ours", r.roundTrips.ours.newPayment],
    ["new payment, naive", r.roundTrips.naive.newPayment],
    ["replay, ours", r.roundTrips.ours.replay],
    ["replay, naive", r.roundTrips.naive.replay],
    ["bare authenticated read", r.roundTrips.bare],
  ];
  const statuses = (t: RoundTrips) =>
    Object.entries(t.statuses)
      .map(([status, n]) => `${n} × ${status}`)
      .join(", ");
  return [
    "## Database round trips per request",
    "",
    `Counted with \`pg_stat_statements\` over ${r.options.roundTripRequests} sequential requests of each kind (calls ÷ requests): every`,
    "statement is a round trip, authentication (the API key and its user) and transaction control (BEGIN, COMMIT) included.",
    "",
    ...header(["request", "round trips", "authentication", "transaction control", "the rest", "responses"]),
    ...kinds.map(([name, t]) =>
      row([name, `**${t.perRequest}**`, t.authentication, t.transactionControl, round2(t.perRequest - t.authentication - t.transactionControl), statuses(t)]),
    ),
    "",
    ...kinds.flatMap(([name, t]) => [
      `**${capitalise(name)}: ${t.perRequest} per request**`,
      "",
      ...header(["per request", "part", "statement"]),
      ...t.statements.map((s) => row([s.calls.toFixed(2), s.part, `\`${s.query.replaceAll("|", "\\|")}\``])),
      "",
    ]),
  ];
}

// ---------------------------------------------------------------- profile

function profileSection(r: BenchReport): string[] {
  const p = r.profile;
  if (!p) return ["## Profile of the request path", "", "Not profiled in this run (`npm run bench -- --profile`).", ""];
  const mappedShare = p.bundled.mappedMs + p.bundled.unmappedMs > 0 ? p.bundled.mappedMs / (p.bundled.mappedMs + p.bundled.unmappedMs) : null;
  return [
    "## Profile of the request path",
    "",
    "A second server of the app, from the same build, run under `node --cpu-prof` (V8's sampling profiler, main thread) and",
    `stopped with SIGTERM so that the profile is written: \`${p.file}\` (${p.samples.toLocaleString("en")} samples over ${p.seconds} s, start-up and`,
    `warm-up included; a sample every ${p.intervalUs} µs at the median). Only the samples taken while each load below was measured`,
    "(the same part of it as for CPU per request) are counted.",
    "",
    "Self time is grouped by where the function is: a path under `node_modules/<package>`, `node:` for Node.js's own",
    "JavaScript, `src/` for ours. Next.js bundles the routes and most of their dependencies into chunks under",
    "`.next-bench/server/chunks/`; a frame there is named through the chunk's source map" +
      (mappedShare === null
        ? " (no sampled time fell in a bundled chunk)."
        : `: ${pct(mappedShare)} of the time in bundled chunks was mapped to a source (${p.bundled.chunksWithMaps} chunks with a map, ${p.bundled.chunksWithoutMaps} without)` +
          (p.bundled.unmappedMs > 0 ? '; the rest is "build output, unmapped".' : ".")),
    "A V8 builtin or a WebAssembly function (no script of its own) is in its caller's group. \"V8: native\" is time in no",
    "JavaScript function (compiling, native bindings). \"Charged\" adds to a group the time of the Node.js internals and",
    `builtins its functions called${chargedExample(p)}: what the group costs. Node.js keeps what no package's function`,
    "called (the event loop, sockets, the HTTP server). Groups are ordered by charged time.",
    "",
    ...p.windows.flatMap((w) => profileWindow(w)),
  ];
}

/** The costliest Node.js internal of the profile charged to a package, as an example. */
function chargedExample(p: ProfileSummary): string {
  const frames = p.windows.flatMap((w) => w.top).filter((f) => f.group === GROUPS.node && f.onBehalfOf !== f.group);
  const top = frames.reduce<(typeof frames)[number] | null>((a, b) => (a === null || b.selfMs > a.selfMs ? b : a), null);
  return top ? ` (here most of all \`${top.functionName}\`, charged to ${top.onBehalfOf})` : "";
}

function profileWindow(w: ProfileWindow): string[] {
  return [
    `### ${capitalise(w.name)} (${w.clients} clients, ${w.seconds} s)`,
    "",
    `${w.requests.toLocaleString("en")} requests answered; ${w.samples.toLocaleString("en")} samples, the main thread busy ${w.busyMs.toLocaleString("en")} ms of ${w.sampledMs.toLocaleString("en")} ms:`,
    `**${ms2(w.busyMsPerRequest)} ms per request** on the main thread` +
      (w.processCpuMsPerRequest === null ? "." : ` (${ms2(w.processCpuMsPerRequest)} ms of CPU per request for the whole process by /proc, all its threads and the profiler included).`),
    "",
    ...header(["group", "self ms", "% of busy", "charged ms", "charged % of busy"]),
    ...w.groups.map((g) => row([g.group, g.ms, g.percent, g.chargedMs, `**${g.chargedPercent}**`])),
    "",
    `Top ${w.top.length} functions by self time:`,
    "",
    ...header(["#", "function", "where", "group", "charged to", "self ms", "% of busy"]),
    ...w.top.map((f, i) =>
      row([i + 1, `\`${f.functionName.replaceAll("|", "\\|")}\``, `\`${f.location.replaceAll("|", "\\|")}\``, f.group, f.onBehalfOf, f.selfMs, f.percent]),
    ),
    "",
  ];
}

// ---------------------------------------------------------------- replay vs bare, storm, cleanup

function bareSection(r: BenchReport): string[] {
  const { replay, bare, clients } = r.bareVsReplay;
  const load = (name: string, l: LoadResult, server: string) =>
    row([name, l.requestsPerSecond, l.p50Ms, l.p99Ms, l.ok, l.non2xx, l.errors, ms2(l.cpu.processes[server]?.msPerRequest), ms2(l.cpu.processes.postgres?.msPerRequest)]);
  return [
    `## Replay vs a bare authenticated read (${clients} clients)`,
    "",
    ...header(["route", "req/s", "p50 ms", "p99 ms", "2xx", "non-2xx", "errors", "server CPU ms", "PostgreSQL CPU ms"]),
    load("POST /api/payments, replayed key (app)", replay, "app"),
    load("GET /api/bench/bare: authentication + one indexed read (baseline app)", bare, "baseline"),
    "",
    `Replay / bare: **${times(ratioOf(replay.requestsPerSecond, bare.requestsPerSecond))}** throughput.`,
    "",
  ];
}

function stormSection(r: BenchReport): string[] {
  const s = r.storm;
  return [
    "## Same-key storm",
    "",
    `100 concurrent requests with one new key and \`Prefer: wait=10\`, Stripe at ${s.latencyMs} ms: statuses ${JSON.stringify(s.statuses)},`,
    `${s.paymentIntents} PaymentIntent(s) created for the storm's key.`,
    "",
    ...header(["", "ms"]),
    row(["one request alone", s.singleMs]),
    row(["storm p50", s.p50Ms]),
    row(["storm p99", s.p99Ms]),
    row(["storm max", s.maxMs]),
    "",
  ];
}

function cleanupSection(c: CleanupUnderLoad | null): string[] {
  if (!c) return [];
  const flags = [...c.flags, "--max-seconds", String(c.runSeconds)].join(" ");
  const deletingMs = c.durationMs - c.pausedMs;
  const keysPerSecond = c.deleted / (c.durationMs / 1000);
  const met = c.p99ChangePercent <= GOALS.cleanupP99Percent;
  const range = (values: number[]) => (values.length === 0 ? "none" : `${Math.min(...values)} to ${Math.max(...values)} ms`);
  return [
    "## TTL cleanup under load",
    "",
    `${c.seeded.toLocaleString("en")} expired keys seeded (${c.seedSeconds} s, then vacuumed and checkpointed), then deleted by`,
    `\`npm run cleanup -- ${flags}\`${c.flags.length === 0 ? " (its default pacing)" : ""} while ${c.clients} clients kept replaying a payment.`,
    `The two sides are interleaved under one continuous load: ${c.withoutWindowSeconds} s without, a cleanup run of at most ${c.runSeconds} s,`,
    `${c.withoutWindowSeconds} s without, … until no expired key is left; each side's percentiles are over all of its windows (a`,
    "run's start-up, until its first batch, counts on neither). Window by window, the",
    `${c.without.windowP99Ms.length} windows without a cleanup had p99s from ${range(c.without.windowP99Ms)}, and the ${c.during.windowP99Ms.length} with one from ${range(c.during.windowP99Ms)}.`,
    "",
    ...header(["replays", "measured s", "requests", "req/s", "p50 ms", "p99 ms", "p99 vs without", "non-2xx", "errors"]),
    latencyRow("without the cleanup", c.without, ""),
    latencyRow("during the cleanup", c.during, `**${signed(c.p99ChangePercent)} %**`),
    "",
    `Replay p99 during the cleanup: **${signed(c.p99ChangePercent)} %** against without it; the goal is ≤ ${GOALS.cleanupP99Percent} %: ${met ? "met" : "**missed**"}.`,
    "",
    `The cleanup deleted ${c.deleted.toLocaleString("en")} keys in ${c.runs} runs, ${c.batches} batches and ${round1(c.durationMs / 1000)} s in all`,
    `(${Math.round(keysPerSecond).toLocaleString("en")} keys/s): ${round1(deletingMs / 1000)} s in statements (${round1((deletingMs / c.durationMs) * 100)} % of the time) and ${round1(c.pausedMs / 1000)} s pausing.`,
    `Batches held ${c.batchSizes[0]}–${c.batchSizes[2]} keys (median ${c.batchSizes[1]}) and took ${c.batchMs[0]}–${c.batchMs[2]} ms (median ${c.batchMs[1]});`,
    `${c.remaining} expired keys were left, and autovacuum passed over the table ${c.autovacuums} time(s) meanwhile.`,
    ...(c.seeded < 1_000_000 ? [`The goal is stated for 1,000,000 keys; at this rate they would take about ${Math.round(1_000_000 / keysPerSecond)} s.`] : []),
    "",
    `First run's summary: \`${c.summaries[0] ?? ""}\``,
    "",
  ];
}

function latencyRow(name: string, l: CleanupUnderLoad["during"], change: string): string {
  return row([name, l.seconds, l.requests, l.requestsPerSecond, l.p50Ms, l.p99Ms, change, l.non2xx, l.errors]);
}

// ---------------------------------------------------------------- helpers

function list(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function pct(share: number): string {
  return `${Math.round(share * 100)} %`;
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : String(value);
}
