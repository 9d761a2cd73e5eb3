import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";

/**
 * CPU time (user + system) of the processes a benchmark run starts, read from /proc around
 * each load: the figure that a shared, noisy machine does not distort as it distorts
 * throughput. Linux only.
 *
 * A process's time is its whole tree's: every process whose parent chain leads to it,
 * each counted with utime + stime, plus cutime + cstime (the time of children it has already
 * reaped). A child that exits during a load is counted once: in its own counters while it
 * lives, in its parent's cutime + cstime once reaped. PostgreSQL's backends are children of
 * the postmaster, so its tree is the whole server.
 */

export type ProcessRoots = Record<string, number | null>;

type Stat = { pid: number; ppid: number; ticks: number };

export type CpuSnapshot = {
  /** process.hrtime, in ms. */
  atMs: number;
  /** Clock ticks of each named tree; null when its root was not running. */
  ticks: Record<string, number | null>;
  /** This process (the bench driver and its in-process load generator), µs. */
  driverUs: number;
  /** /proc/stat's first line: busy (user, nice, system, irq, softirq), steal and total ticks of all CPUs. */
  machine: { busy: number; steal: number; total: number };
};

export type ProcessCpu = {
  /** CPU time in the window, ms. */
  ms: number;
  /** ms ÷ requests. */
  msPerRequest: number;
};

export type CpuWindow = {
  /** Wall time between the two readings, ms. */
  loadMs: number;
  /** The requests the CPU is divided by. */
  requests: number;
  /** Per named process tree, the driver as "loadGenerator", and their sum as "total". */
  processes: Record<string, ProcessCpu>;
  /** Cores busy between the two readings, per named process tree, and in all. */
  cores: Record<string, number>;
  /** The whole machine meanwhile: cores busy, of which not ours, and stolen by the hypervisor. */
  machine: { cores: number; busyCores: number; otherCores: number; stealCores: number };
};

let clockTicks: number | undefined;

/** `getconf CLK_TCK` (the unit of /proc/<pid>/stat's times), 100 if it cannot be read. */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      const value = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
      clockTicks = Number.isInteger(value) && value > 0 ? value : 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * One line of /proc/<pid>/stat. The command name (field 2) is in parentheses and may hold
 * spaces and parentheses, so the fields are counted from the last ")".
 */
export function parseStat(line: string): Stat | null {
  const close = line.lastIndexOf(")");
  if (close < 0) return null;
  const pid = Number(line.slice(0, line.indexOf(" ")));
  // Fields 3 (state) onwards; utime, stime, cutime, cstime are fields 14–17.
  const fields = line.slice(close + 2).split(" ");
  const at = (field: number) => Number(fields[field - 3]);
  const ppid = at(4);
  const ticks = at(14) + at(15) + at(16) + at(17);
  if (!Number.isFinite(pid) || !Number.isFinite(ppid) || !Number.isFinite(ticks)) return null;
  return { pid, ppid, ticks };
}

function readAllStats(): Stat[] {
  const stats: Stat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = parseStat(readFileSync(`/proc/${entry}/stat`, "utf8"));
      if (stat) stats.push(stat);
    } catch {
      // exited meanwhile
    }
  }
  return stats;
}

/** Sum of the ticks of `root` and of every process whose parent chain leads to it. */
export function treeTicks(root: number, stats: Stat[]): number | null {
  const children = new Map<number, Stat[]>();
  let rootStat: Stat | undefined;
  for (const stat of stats) {
    if (stat.pid === root) rootStat = stat;
    const siblings = children.get(stat.ppid);
    if (siblings) siblings.push(stat);
    else children.set(stat.ppid, [stat]);
  }
  if (!rootStat) return null;
  let ticks = 0;
  const pending = [rootStat];
  for (let stat = pending.pop(); stat; stat = pending.pop()) {
    ticks += stat.ticks;
    pending.push(...(children.get(stat.pid) ?? []));
  }
  return ticks;
}

function readMachine(): CpuSnapshot["machine"] {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + idle + iowait + steal };
}

/** Reads the counters of the named process trees (roots looked up on each call: a server may restart). */
export function snapshot(roots: ProcessRoots): CpuSnapshot {
  const stats = readAllStats();
  const ticks: Record<string, number | null> = {};
  for (const [name, pid] of Object.entries(roots)) ticks[name] = pid === null ? null : treeTicks(pid, stats);
  const usage = process.cpuUsage();
  return { atMs: performance.now(), ticks, driverUs: usage.user + usage.system, machine: readMachine() };
}

/** CPU per request and cores busy between two readings, `requests` answered in between. */
export function cpuWindow(before: CpuSnapshot, after: CpuSnapshot, requests: number): CpuWindow {
  const msPerTick = 1000 / clockTicksPerSecond();
  const loadMs = after.atMs - before.atMs;
  const processes: Record<string, ProcessCpu> = {};
  const cores: Record<string, number> = {};
  const add = (name: string, ms: number) => {
    processes[name] = { ms: round(ms, 1), msPerRequest: requests > 0 ? round(ms / requests, 3) : 0 };
    cores[name] = round(ms / loadMs, 2);
  };
  let totalMs = 0;
  for (const name of Object.keys(before.ticks)) {
    const [b, a] = [before.ticks[name], after.ticks[name]];
    if (b === null || b === undefined || a === null || a === undefined) continue;
    add(name, (a - b) * msPerTick);
    totalMs += (a - b) * msPerTick;
  }
  const driverMs = (after.driverUs - before.driverUs) / 1000;
  add("loadGenerator", driverMs);
  add("total", totalMs + driverMs);

  const cpus = os.cpus().length;
  const elapsed = after.machine.total - before.machine.total;
  const share = (ticks: number) => (elapsed > 0 ? (ticks / elapsed) * cpus : 0);
  const busyCores = share(after.machine.busy - before.machine.busy);
  return {
    loadMs: Math.round(loadMs),
    requests,
    processes,
    cores,
    machine: {
      cores: cpus,
      busyCores: round(busyCores, 2),
      otherCores: round(Math.max(0, busyCores - (totalMs + driverMs) / loadMs), 2),
      stealCores: round(share(after.machine.steal - before.machine.steal), 2),
    },
  };
}

/** Several windows as one: CPU summed and divided by all their requests; cores weighted by load time. */
export function sumWindows(windows: CpuWindow[]): CpuWindow | null {
  if (windows.length === 0) return null;
  const requests = windows.reduce((sum, w) => sum + w.requests, 0);
  const loadMs = windows.reduce((sum, w) => sum + w.loadMs, 0);
  const names = [...new Set(windows.flatMap((w) => Object.keys(w.processes)))];
  const processes: Record<string, ProcessCpu> = {};
  const cores: Record<string, number> = {};
  for (const name of names) {
    const ms = windows.reduce((sum, w) => sum + (w.processes[name]?.ms ?? 0), 0);
    processes[name] = { ms: round(ms, 1), msPerRequest: requests > 0 ? round(ms / requests, 3) : 0 };
    cores[name] = round(windows.reduce((sum, w) => sum + (w.cores[name] ?? 0) * w.loadMs, 0) / loadMs, 2);
  }
  const weighted = (pick: (w: CpuWindow) => number) => round(windows.reduce((sum, w) => sum + pick(w) * w.loadMs, 0) / loadMs, 2);
  return {
    loadMs,
    requests,
    processes,
    cores,
    machine: {
      cores: windows[0]!.machine.cores,
      busyCores: weighted((w) => w.machine.busyCores),
      otherCores: weighted((w) => w.machine.otherCores),
      stealCores: weighted((w) => w.machine.stealCores),
    },
  };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
