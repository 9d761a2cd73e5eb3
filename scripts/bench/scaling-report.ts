import { parseArgs } from "node:util";
import { integerFlag } from "../lib/integer-flag";
import type { CpuWindow } from "./process-cpu";

/**
 * The pure part of `npm run bench:scaling` (./scaling.ts): its options, the arithmetic over
 * what it read (client shares, percentiles, counter deltas, CPU by process group, SHOW POOLS
 * rows) and the markdown it writes between the markers of docs/SCALING.md.
 */

export const SCALING_USAGE = `npm run bench:scaling -- [options]

  --quick               A smoke run: 3 s loads after a 2 s warm-up (else 10 s); writes to bench-results/scaling-quick/
  --duration <s>        Seconds of each measured load              [default 15, with --quick 3]
  --clients <n>         Clients in all, spread round-robin over the instances  [default 100]
  --latency <ms>        The Stripe emulator's latency              [default 150]
  --instances <n,…>     App instances of each load                 [default 1,2,4]
  --users <n>           Users (one API key each) the requests take turns with  [default 10]
  --out <dir>           Where scaling.json and SCALING.md go       [default docs/, with --quick bench-results/scaling-quick/]
  -h, --help`;

export type ScalingOptions = {
  quick: boolean;
  durationSeconds: number;
  warmupSeconds: number;
  clients: number;
  latencyMs: number;
  instances: number[];
  users: number;
  outDir: string;
  /** The least pause after a load, so that requests in flight finish and PostgreSQL flushes its counters (≤ 1 s). */
  minSettleMs: number;
  argv: string[];
};

export function parseScalingOptions(argv: string[]): ScalingOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean" },
      duration: { type: "string" },
      clients: { type: "string" },
      latency: { type: "string" },
      instances: { type: "string" },
      users: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return null;
  const quick = values.quick ?? false;
  const instances = values.instances
    ? values.instances.split(",").map((item) => integerFlag(item.trim(), "--instances", 1))
    : [1, 2, 4];
  const clients = values.clients ? integerFlag(values.clients, "--clients", 1) : 100;
  const tooFew = instances.find((n) => n > clients);
  if (tooFew !== undefined) throw new Error(`--instances ${tooFew} is more than --clients ${clients}: an instance would get no client`);
  return {
    quick,
    durationSeconds: values.duration ? integerFlag(values.duration, "--duration", 1) : quick ? 3 : 15,
    warmupSeconds: quick ? 2 : 10,
    clients,
    latencyMs: values.latency ? integerFlag(values.latency, "--latency", 0) : 150,
    instances,
    users: values.users ? integerFlag(values.users, "--users", 1) : 10,
    outDir: values.out ?? (quick ? "bench-results/scaling-quick" : "docs"),
    minSettleMs: 2_500,
    argv,
  };
}

/** Client c goes to instance c mod n: how many clients each instance gets. */
export function spreadClients(clients: number, instances: number): number[] {
  return Array.from({ length: instances }, (_, i) => Math.floor(clients / instances) + (i < clients % instances ? 1 : 0));
}

/** Nearest-rank percentile (the smallest value with at least p % of the values at or below it); 0 for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** One row of PgBouncer's SHOW POOLS, as node-postgres returns it (numbers may come as strings). */
export type PoolRow = Record<string, string | number | null>;

export type PoolSample = {
  /** cl_active + cl_waiting: client connections logged in to the pool. */
  clients: number;
  clientsWaiting: number;
  /** sv_active + sv_idle + sv_used: server connections to PostgreSQL held by the pool. */
  servers: number;
  /** The oldest waiting client's wait, ms. */
  maxWaitMs: number;
};

/** The pool of `database` in SHOW POOLS (all its users summed); null when PgBouncer has no such pool yet. */
export function poolSample(rows: PoolRow[], database: string): PoolSample | null {
  const mine = rows.filter((row) => row.database === database);
  if (mine.length === 0) return null;
  const sum = (field: string) => mine.reduce((total, row) => total + Number(row[field] ?? 0), 0);
  const maxWaitMs = Math.max(...mine.map((row) => Number(row.maxwait ?? 0) * 1000 + Number(row.maxwait_us ?? 0) / 1000));
  return {
    clients: sum("cl_active") + sum("cl_waiting"),
    clientsWaiting: sum("cl_waiting"),
    servers: sum("sv_active") + sum("sv_idle") + sum("sv_used"),
    maxWaitMs: Math.round(maxWaitMs),
  };
}

/** The largest of each field over the samples. */
export function peakOf(samples: PoolSample[]): PoolSample {
  const peak = (pick: (sample: PoolSample) => number) => samples.reduce((max, sample) => Math.max(max, pick(sample)), 0);
  return {
    clients: peak((s) => s.clients),
    clientsWaiting: peak((s) => s.clientsWaiting),
    servers: peak((s) => s.servers),
    maxWaitMs: peak((s) => s.maxWaitMs),
  };
}

/** Counters read while nothing runs, before and after a load. */
export type Counters = {
  /** PgBouncer's SHOW STATS for the app's database. */
  pgbouncer: { queries: number; transactions: number };
  /** pg_stat_database for the app's database, and the rows of the payments table. */
  postgres: { commits: number; rollbacks: number; payments: number };
  /** The emulator's /v1 requests (all, and by route) and PaymentIntents. */
  stripe: { requests: number; byRoute: Record<string, number>; paymentIntents: number };
};

export type PerPayment = {
  /** New rows in the payments table: the payments made between the two readings. */
  payments: number;
  /** New PaymentIntents in the emulator meanwhile. */
  paymentIntents: number;
  pgbouncerQueries: number;
  pgbouncerTransactions: number;
  /** Commits PostgreSQL counted, less the reading's own (see `ownCommits`). */
  postgresCommits: number;
  postgresRollbacks: number;
  stripeRequests: number;
  stripeRequestsByRoute: Record<string, number>;
};

/**
 * Counter deltas per payment between two quiet readings. `ownCommits`: the commits the reading
 * itself adds between them (its statement at the first reading is counted by PostgreSQL after it).
 */
export function perPayment(before: Counters, after: Counters, ownCommits: number): PerPayment {
  const payments = after.postgres.payments - before.postgres.payments;
  const per = (delta: number) => (payments > 0 ? round(delta / payments, 3) : 0);
  const routes = [...new Set([...Object.keys(before.stripe.byRoute), ...Object.keys(after.stripe.byRoute)])].sort();
  const byRoute: Record<string, number> = {};
  for (const route of routes) {
    const delta = (after.stripe.byRoute[route] ?? 0) - (before.stripe.byRoute[route] ?? 0);
    if (delta > 0) byRoute[route] = per(delta);
  }
  return {
    payments,
    paymentIntents: after.stripe.paymentIntents - before.stripe.paymentIntents,
    pgbouncerQueries: per(after.pgbouncer.queries - before.pgbouncer.queries),
    pgbouncerTransactions: per(after.pgbouncer.transactions - before.pgbouncer.transactions),
    postgresCommits: per(after.postgres.commits - before.postgres.commits - ownCommits),
    postgresRollbacks: per(after.postgres.rollbacks - before.postgres.rollbacks),
    stripeRequests: per(after.stripe.requests - before.stripe.requests),
    stripeRequestsByRoute: byRoute,
  };
}

/** The process groups of the CPU table, in order: each a name and the process trees it sums. */
export const CPU_GROUPS = ["app", "postgres", "pgbouncer", "emulator", "loadGenerator", "total"] as const;
export type CpuGroup = (typeof CPU_GROUPS)[number];
export type GroupCpu = Record<CpuGroup, { msPerPayment: number; cores: number }>;

/** Sums a CPU window's process trees into the groups: every "app-<i>" tree is one of the app's instances. */
export function groupCpu(window: CpuWindow): GroupCpu {
  const groupOf = (name: string): CpuGroup | null => {
    if (/^app-\d+$/.test(name)) return "app";
    return (CPU_GROUPS as readonly string[]).includes(name) ? (name as CpuGroup) : null;
  };
  const sums = Object.fromEntries(CPU_GROUPS.map((group) => [group, { ms: 0, cores: 0 }])) as Record<CpuGroup, { ms: number; cores: number }>;
  for (const [name, cpu] of Object.entries(window.processes)) {
    const group = groupOf(name);
    if (!group) continue;
    sums[group].ms += cpu.ms;
    sums[group].cores += window.cores[name] ?? 0;
  }
  const result = {} as GroupCpu;
  for (const group of CPU_GROUPS) {
    result[group] = {
      msPerPayment: window.requests > 0 ? round(sums[group].ms / window.requests, 2) : 0,
      cores: round(sums[group].cores, 2),
    };
  }
  return result;
}

/** Stripe's per-account limits as docs.stripe.com/rate-limits gives them, operations per second. */
export const STRIPE_LIMITS = [
  { name: "live mode, per account", opsPerSecond: 100, perEndpoint: false },
  { name: "test mode (sandbox), per account", opsPerSecond: 25, perEndpoint: false },
  { name: "one API endpoint, default", opsPerSecond: 25, perEndpoint: true },
] as const;

/**
 * Each limit with the payments per second it allows: an account-wide limit counts every Stripe
 * request of a payment, the per-endpoint one only those to the busiest endpoint.
 */
export function stripeLimits(perPayments: PerPayment[]): ScalingReport["stripeLimits"] {
  const payments = perPayments.reduce((sum, p) => sum + p.payments, 0);
  const mean = (pick: (p: PerPayment) => number) => (payments > 0 ? round(perPayments.reduce((sum, p) => sum + pick(p) * p.payments, 0) / payments, 3) : 0);
  const all = mean((p) => p.stripeRequests);
  const routes = [...new Set(perPayments.flatMap((p) => Object.keys(p.stripeRequestsByRoute)))];
  const busiest = routes.map((route) => ({ route, perPayment: mean((p) => p.stripeRequestsByRoute[route] ?? 0) })).sort((a, b) => b.perPayment - a.perPayment)[0];
  return STRIPE_LIMITS.map((limit) => {
    const requestsPerPayment = limit.perEndpoint ? (busiest?.perPayment ?? 0) : all;
    return {
      name: limit.perEndpoint && busiest ? `${limit.name} (\`${busiest.route}\`)` : limit.name,
      opsPerSecond: limit.opsPerSecond,
      requestsPerPayment,
      paymentsPerSecond: paymentsAllowed(limit.opsPerSecond, requestsPerPayment),
    };
  });
}

/** Payments per second that `opsPerSecond` allows at `requestsPerPayment` Stripe requests each. */
export function paymentsAllowed(opsPerSecond: number, requestsPerPayment: number): number | null {
  return requestsPerPayment > 0 ? round(opsPerSecond / requestsPerPayment, 1) : null;
}

export type ScalingCell = {
  instances: number;
  clientsPerInstance: number[];
  /** Each instance's DATABASE_POOL_SIZE times the instances: the connections the app's pools may open. */
  appPoolTotal: number;
  load: {
    seconds: number;
    /** The part of the load measured (throughput, latency, CPU), ms from its start. */
    window: { fromMs: number; toMs: number; ms: number };
    /** 2xx responses in the window ÷ its seconds. */
    paymentsPerSecond: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    /** Every response of the whole load, by status. */
    statuses: Record<string, number>;
    /** Responses in the window, per instance (the spread). */
    windowResponsesByInstance: number[];
    non2xx: number;
    /** Connection errors of the load generator, timeouts included. */
    errors: number;
  };
  perPayment: PerPayment;
  connections: {
    pgbouncerPeak: PoolSample;
    /** Client backends of the app's database at PostgreSQL (pg_stat_activity), the bench's own reading excluded. */
    postgresBackendsPeak: number;
    samples: number;
  };
  cpu: GroupCpu;
  cpuWindow: CpuWindow;
  /** os.loadavg() when the cell's instances had started, and when its load had ended. */
  loadAverage: { atStart: number[]; atEnd: number[] };
  /** What the app's servers logged at warn level or above while serving this cell (LOG_LEVEL=warn). */
  appLogLines: LogLines;
};

export type ScalingReport = {
  date: string;
  machine: { cpus: number; model: string; memoryGiB: number; node: string; postgres: string; pgbouncer: string };
  git: { commit: string; uncommittedChanges: boolean } | null;
  command: string;
  options: Omit<ScalingOptions, "argv" | "minSettleMs"> & { argv: string[] };
  setup: {
    maxConnections: number;
    pgbouncer: { poolMode: string; defaultPoolSize: number; maxClientConn: number };
    appPoolSize: number;
    stripeLatencyMs: number;
    users: number;
  };
  /** The machine before anything of the run started. */
  before: { loadAverage: number[]; busiest: { name: string; cores: number }[]; seconds: number };
  cells: ScalingCell[];
  /** PgBouncer's WARNING / ERROR / FATAL lines over the run (first 20), and how many. */
  pgbouncerWarnings: { count: number; lines: string[] };
  stripeLimits: { name: string; opsPerSecond: number; requestsPerPayment: number; paymentsPerSecond: number | null }[];
  totalSeconds: number;
};

export type LogLines = {
  /** Warnings that a request was aborted: its client closed the connection before the answer. */
  aborted: number;
  /** Other warnings. */
  warn: number;
  /** Errors and worse. */
  error: number;
  /** The first few lines other than `aborted`, cut to 400 characters. */
  samples: string[];
};

/** Counts pino's JSON lines by level (40 warn, 50 error, 60 fatal) in a server's log; other lines are ignored. */
export function countLogLines(text: string): LogLines {
  const result: LogLines = { aborted: 0, warn: 0, error: 0, samples: [] };
  for (const line of text.split("\n")) {
    const entry = parseLogLine(line);
    const level = typeof entry?.level === "number" ? entry.level : 0;
    if (level < 40) continue;
    if (level < 50 && entry?.err?.message === "aborted") {
      result.aborted += 1;
      continue;
    }
    if (level >= 50) result.error += 1;
    else result.warn += 1;
    if (result.samples.length < 5) result.samples.push(line.slice(0, 400));
  }
  return result;
}

type LogEntry = { level?: unknown; err?: { message?: unknown } };

function parseLogLine(line: string): LogEntry | null {
  if (!line.trim().startsWith("{")) return null;
  try {
    return JSON.parse(line) as LogEntry;
  } catch {
    return null;
  }
}

export const MARKER_BEGIN = "<!-- scaling:measured:begin -->";
export const MARKER_END = "<!-- scaling:measured:end -->";

/** `text` with what lies between the markers replaced by `content`; everything outside kept byte for byte. */
export function replaceBetweenMarkers(text: string, content: string): string {
  const begin = text.indexOf(MARKER_BEGIN);
  const end = text.indexOf(MARKER_END);
  if (begin < 0 || end < 0) throw new Error(`the markers ${MARKER_BEGIN} and ${MARKER_END} are not both there`);
  if (end < begin) throw new Error(`${MARKER_END} comes before ${MARKER_BEGIN}`);
  if (text.indexOf(MARKER_BEGIN, begin + 1) >= 0 || text.indexOf(MARKER_END, end + 1) >= 0) throw new Error("a marker is there twice");
  return `${text.slice(0, begin + MARKER_BEGIN.length)}\n${content.trim()}\n${text.slice(end)}`;
}

const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
const header = (cells: string[]) => [row(cells), row(cells.map(() => "---"))];
const fixed = (value: number, digits: number) => value.toFixed(digits);
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

function statusText(statuses: Record<string, number>): string {
  const bad = Object.entries(statuses).filter(([status]) => !status.startsWith("2"));
  return bad.length === 0 ? "none" : bad.map(([status, count]) => `${count} × ${status}`).join(", ");
}

/** The generated part of docs/SCALING.md: every number from `r`. */
export function renderScaling(r: ScalingReport): string {
  const cells = r.cells;
  const o = r.options;
  const window = cells[0]?.load.window;
  const lines: string[] = [];
  const machine = `${r.machine.cpus} × ${r.machine.model}, ${r.machine.memoryGiB} GiB; Node ${r.machine.node}; PostgreSQL ${r.machine.postgres}; PgBouncer ${r.machine.pgbouncer}`;
  lines.push(
    "## Measured",
    "",
    `Measured by \`${r.command}\` on ${r.date.slice(0, 10)} (${machine})` +
      `${r.git ? `, at commit \`${r.git.commit}\`${r.git.uncommittedChanges ? " with uncommitted changes in the working tree" : ""}` : ""}; the run took ${r.totalSeconds} s.`,
    "",
    `All on this machine: one embedded PostgreSQL (\`max_connections\` ${r.setup.maxConnections}); PgBouncer in front of it in ` +
      `${r.setup.pgbouncer.poolMode} mode (\`default_pool_size\` ${r.setup.pgbouncer.defaultPoolSize}, \`max_client_conn\` ${r.setup.pgbouncer.maxClientConn}); ` +
      `the Stripe emulator in a process of its own, answering after ${r.setup.stripeLatencyMs} ms; and 1 to ${Math.max(...o.instances)} production servers of the app ` +
      `(\`next start\`), each with \`DATABASE_POOL_SIZE\` ${r.setup.appPoolSize} and its \`DATABASE_URL\` through PgBouncer. ` +
      `Each load: ${o.clients} clients (autocannon, in the bench's own process) spread round-robin over the instances, each request a new payment ` +
      `(a fresh \`Idempotency-Key\`, \`pm_card_visa\`) of one of ${plural(r.setup.users, "user")} in turn, for ${o.durationSeconds} s after a ${o.warmupSeconds} s warm-up` +
      `${window ? `; throughput, latency and CPU are over ${fixed(window.fromMs / 1000, 1)}–${fixed(window.toMs / 1000, 1)} s of it` : ""}.`,
    "",
    `Machine load: before the run, load average ${r.before.loadAverage.map((v) => fixed(v, 2)).join(" / ")} (1 / 5 / 15 min)` +
      `${r.before.busiest.length > 0 ? `; over ${r.before.seconds} s, the busiest other processes: ${r.before.busiest.map((p) => `${p.name} ${fixed(p.cores, 2)}`).join(", ")} cores` : "; no other process used 0.05 of a core or more over " + r.before.seconds + " s"}. ` +
      `While the loads ran, processes outside this run kept ${cells.map((c) => fixed(c.cpuWindow.machine.otherCores, 2)).join(" / ")} of ${r.machine.cpus} cores busy ` +
      `(${cells.map((c) => c.instances).join(" / ")} instances; the 1-minute load average at the end of each load, this run's processes included: ${cells.map((c) => fixed(c.loadAverage.atEnd[0] ?? 0, 2)).join(" / ")}).`,
    "",
  );

  lines.push(
    "### Throughput and latency",
    "",
    `Payments answered 2xx per second and their latency at the client, over the measured part of each load; statuses over the whole load. ` +
      `The last column is what the Stripe latency alone allows: clients ÷ ${r.setup.stripeLatencyMs} ms.`,
    "",
    ...header(["instances", "clients per instance", "payments/s", "p50 ms", "p99 ms", "2xx in window", "non-2xx (whole load)", "connection errors", "clients ÷ Stripe latency"]),
    ...cells.map((c) =>
      row([
        c.instances,
        [...new Set(c.clientsPerInstance)].join(" or "),
        `**${fixed(c.load.paymentsPerSecond, 1)}**`,
        Math.round(c.load.p50Ms),
        Math.round(c.load.p99Ms),
        c.load.windowResponsesByInstance.reduce((a, b) => a + b, 0),
        statusText(c.load.statuses),
        c.load.errors,
        fixed((o.clients * 1000) / Math.max(1, r.setup.stripeLatencyMs), 0),
      ]),
    ),
    "",
  );

  lines.push(
    "### Statements per payment, and connections",
    "",
    `Per payment made (new rows in \`payments\` between two readings taken with nothing running, ${STATS_QUIET_S} s or more after the warm-up and after the load): ` +
      `PgBouncer's \`SHOW STATS\` (\`total_query_count\`, \`total_xact_count\`) and PostgreSQL's \`pg_stat_database.xact_commit\` (the reading's own commit taken off; autovacuum's, if any, counted). ` +
      `Peaks sampled every ${SAMPLE_MS} ms during each load: \`SHOW POOLS\` (clients: \`cl_active + cl_waiting\`; servers: \`sv_active + sv_idle + sv_used\`) and PostgreSQL's client backends on the app's database (\`pg_stat_activity\`).`,
    "",
    ...header([
      "instances",
      "payments",
      "queries / payment (PgBouncer)",
      "transactions / payment (PgBouncer)",
      "commits / payment (PostgreSQL)",
      "peak clients at PgBouncer",
      "of which waiting",
      "app pools' limit",
      "peak server connections",
      "peak PostgreSQL backends",
      "max_connections",
    ]),
    ...cells.map((c) =>
      row([
        c.instances,
        c.perPayment.payments,
        fixed(c.perPayment.pgbouncerQueries, 2),
        fixed(c.perPayment.pgbouncerTransactions, 2),
        fixed(c.perPayment.postgresCommits, 2),
        c.connections.pgbouncerPeak.clients,
        c.connections.pgbouncerPeak.clientsWaiting,
        `${c.instances} × ${r.setup.appPoolSize} = ${c.appPoolTotal}`,
        c.connections.pgbouncerPeak.servers,
        c.connections.postgresBackendsPeak,
        r.setup.maxConnections,
      ]),
    ),
    "",
  );

  const label: Record<CpuGroup, string> = {
    app: "app instances",
    postgres: "PostgreSQL",
    pgbouncer: "PgBouncer",
    emulator: "Stripe emulator",
    loadGenerator: "load generator",
    total: "all",
  };
  lines.push(
    "### CPU per payment, by process group",
    "",
    `CPU time (user + system) from \`/proc/<pid>/stat\` of each process and its descendants (as \`npm run bench\` reads it), between two readings during the measured part of each load, ` +
      `divided by the 2xx responses in between; cores busy over the same time. The app instances are summed; the load generator is the bench's own process.`,
    "",
    ...header(["instances", ...CPU_GROUPS.map((g) => `${label[g]} ms`), "cores busy: app / PostgreSQL / PgBouncer / emulator / load generator", "all of ours", "rest of machine"]),
    ...cells.map((c) =>
      row([
        c.instances,
        ...CPU_GROUPS.map((g) => (g === "total" ? `**${fixed(c.cpu[g].msPerPayment, 2)}**` : fixed(c.cpu[g].msPerPayment, 2))),
        CPU_GROUPS.filter((g) => g !== "total").map((g) => fixed(c.cpu[g].cores, 2)).join(" / "),
        fixed(c.cpu.total.cores, 2),
        fixed(c.cpuWindow.machine.otherCores, 2),
      ]),
    ),
    "",
  );

  const routes = (c: ScalingCell) =>
    Object.entries(c.perPayment.stripeRequestsByRoute)
      .map(([route, count]) => `${fixed(count, 2)} \`${route}\``)
      .join(", ") || "none";
  lines.push(
    "### Stripe requests per payment, and one Stripe account's rate limit",
    "",
    `Requests the Stripe emulator received (its \`/_emulator/stats\` counter, by route) per payment made, between the same two readings as the database counts; ` +
      `then the payments per second that Stripe's rate limits ([docs.stripe.com/rate-limits](https://docs.stripe.com/rate-limits): per account, 100 operations/s in live mode and 25 in test mode; ` +
      `per API endpoint, 25 requests/s unless the page states another limit for it or Stripe raises it for the account) allow at that many requests per payment, next to the payments per second measured here.`,
    "",
    ...header(["instances", "Stripe requests / payment", "by route", "PaymentIntents created", "payments"]),
    ...cells.map((c) => row([c.instances, fixed(c.perPayment.stripeRequests, 2), routes(c), c.perPayment.paymentIntents, c.perPayment.payments])),
    "",
    ...header(["Stripe limit", "operations/s", "Stripe requests / payment (measured)", "payments/s it allows", `measured payments/s (${cells.map((c) => c.instances).join(" / ")} instances)`]),
    ...r.stripeLimits.map((limit) =>
      row([
        limit.name,
        limit.opsPerSecond,
        fixed(limit.requestsPerPayment, 2),
        limit.paymentsPerSecond === null ? "–" : `**${fixed(limit.paymentsPerSecond, 1)}**`,
        cells.map((c) => fixed(c.load.paymentsPerSecond, 1)).join(" / "),
      ]),
    ),
    "",
  );

  const notes: string[] = [];
  const anyNon2xx = cells.filter((c) => c.load.non2xx > 0 || c.load.errors > 0);
  if (anyNon2xx.length > 0) {
    notes.push(
      `Not every request was answered 2xx: ${anyNon2xx.map((c) => `${c.instances} instance(s): ${statusText(c.load.statuses)}, ${c.load.errors} connection errors`).join("; ")}.`,
    );
  }
  const aborted = cells.map((c) => c.appLogLines.aborted);
  if (aborted.some((n) => n > 0)) {
    notes.push(
      `The app's servers logged ${aborted.join(" / ")} \`aborted\` warnings (${cells.map((c) => c.instances).join(" / ")} instances, warm-up and load together): ` +
        `requests whose client closed its connection before the answer, as autocannon does with the requests in flight when a load's time is up.`,
    );
  }
  const logged = cells.filter((c) => c.appLogLines.error > 0 || c.appLogLines.warn > 0);
  notes.push(
    logged.length === 0
      ? "They logged no other warning and no error."
      : `They logged ${logged.map((c) => `${plural(c.appLogLines.error, "error")} and ${plural(c.appLogLines.warn, "other warning")} with ${c.instances} instance(s)`).join("; ")}; the first: \`${(cells.flatMap((c) => c.appLogLines.samples)[0] ?? "").slice(0, 160)}\`.`,
  );
  notes.push(
    r.pgbouncerWarnings.count === 0
      ? "PgBouncer logged no WARNING, ERROR or FATAL line."
      : `PgBouncer logged ${plural(r.pgbouncerWarnings.count, "WARNING, ERROR or FATAL line")}, the first: \`${r.pgbouncerWarnings.lines[0] ?? ""}\`.`,
  );
  lines.push("### Errors and warnings", "", notes.join(" "), "", `Raw numbers: [scaling.json](scaling.json).`);
  return lines.join("\n");
}

/** How often connections are sampled during a load, ms. */
export const SAMPLE_MS = 200;
/** The least quiet time before the counters are read, s (see scaling.ts). */
export const STATS_QUIET_S = 11;

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
