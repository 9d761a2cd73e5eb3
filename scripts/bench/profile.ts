import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadSourceMap, type SourceMap } from "./source-map";

/**
 * `npm run bench -- --profile`: the app's production server run under Node's `--cpu-prof`
 * (V8's sampling profiler, written as a .cpuprofile when the process exits), and a summary of
 * the samples taken while a load ran: top frames by self time, and self time by package or area.
 *
 * Next.js bundles the app's routes and most of their dependencies into chunks under
 * `<distDir>/server/chunks/`; a frame there is named from the chunk's source map (Turbopack
 * writes one beside each server chunk), else counted as unmapped build output under its chunk's
 * name. Packages Next.js leaves external (pino, Prisma, pg) and Next.js's own runtime are
 * loaded from node_modules and named by their path.
 */

const NEXT = path.resolve("node_modules/next/dist/bin/next");
const HEALTH_TIMEOUT_MS = 60_000;
/** Writing the profile happens at exit, after Next.js has closed its server. */
const STOP_GRACE_MS = 60_000;
const INHERITED = ["PATH", "HOME", "TMPDIR", "TZ", "LANG"];
const TOP_FRAMES = 15;

export type CpuProfile = {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number; scriptId?: string };
    children?: number[];
  }[];
  /** µs, V8's monotonic clock: on Linux CLOCK_MONOTONIC, as process.hrtime. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
};

/** A load run against the profiled server, with its own monotonic start and end. */
export type ProfileWindowInput = {
  name: string;
  clients: number;
  startUs: number;
  endUs: number;
  requests: number;
  /** The profiled server's CPU per request in this window, from /proc (profiler included). */
  processCpuMsPerRequest: number | null;
};

/**
 * Self time of a group, and with the Node.js internals and V8 builtins its functions called
 * charged to it (`chargedMs`): pg's socket writes are Node.js's `writev`, on pg's behalf.
 */
export type ProfileGroup = { group: string; ms: number; percent: number; chargedMs: number; chargedPercent: number };
/** `onBehalfOf`: the group charged with a Node.js internal's or builtin's time (most of it, if several). */
export type ProfileFrame = { functionName: string; location: string; group: string; onBehalfOf: string; selfMs: number; percent: number };

export type ProfileWindow = {
  name: string;
  clients: number;
  seconds: number;
  requests: number;
  samples: number;
  /** Time the samples stand for, idle included; busy = not idle. */
  sampledMs: number;
  idleMs: number;
  busyMs: number;
  /** The main thread's busy time per request. */
  busyMsPerRequest: number;
  processCpuMsPerRequest: number | null;
  groups: ProfileGroup[];
  top: ProfileFrame[];
};

export type ProfileSummary = {
  /** The .cpuprofile, relative to the repository (open it in Chrome DevTools' Performance panel). */
  file: string;
  /** The whole profile, start-up and warm-up included. */
  samples: number;
  seconds: number;
  /** Median time between samples. */
  intervalUs: number;
  /** Busy time in bundled build output: mapped to a source through source maps, or not. */
  bundled: { mappedMs: number; unmappedMs: number; chunksWithMaps: number; chunksWithoutMaps: number };
  windows: ProfileWindow[];
};

export class ProfiledServer {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
    private readonly distDir: string,
    /** Where `--cpu-prof-dir` points; relative to the repository. */
    readonly profileDir: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** `node --cpu-prof --cpu-prof-dir=<dir> next start`, as AppInstance starts the app but for the flags. */
  async start(): Promise<void> {
    const inherited: Record<string, string> = {};
    for (const name of INHERITED) if (process.env[name]) inherited[name] = process.env[name];
    const log = openSync(this.logFile, "a");
    const child = spawn(
      process.execPath,
      ["--cpu-prof", `--cpu-prof-dir=${this.profileDir}`, NEXT, "start", ".", "--hostname", "127.0.0.1", "--port", String(this.port)],
      { env: { ...inherited, ...this.env, NODE_ENV: "production", NEXT_DIST_DIR: this.distDir }, stdio: ["ignore", log, log] },
    );
    closeSync(log);
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the profiled server exited while starting: see ${this.logFile}`);
      try {
        if ((await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(2_000) })).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    throw new Error(`the profiled server was not healthy within ${HEALTH_TIMEOUT_MS} ms`);
  }

  /** SIGTERM: Next.js closes its server and exits, and Node writes the profile. Returns its path. */
  async stop(): Promise<string> {
    const child = this.child;
    if (!child) throw new Error("the profiled server is not running");
    const pid = child.pid!;
    child.kill("SIGTERM");
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
    this.child = null;
    if (killed) throw new Error(`the profiled server did not exit within ${STOP_GRACE_MS} ms of SIGTERM: no profile written`);
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread (workers write their own).
    const file = readdirSync(this.profileDir).find((name) => new RegExp(`^CPU\\.\\d+\\.\\d+\\.${pid}\\.0\\.\\d+\\.cpuprofile$`).test(name));
    if (!file) throw new Error(`no main-thread profile of process ${pid} in ${this.profileDir}`);
    return path.join(this.profileDir, file);
  }

  killNow(): void {
    this.child?.kill("SIGKILL");
  }
}

/** Reads a .cpuprofile and summarises the samples of each window. */
export function summariseProfile(file: string, windows: ProfileWindowInput[]): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  return summarise(profile, path.relative(process.cwd(), file), windows);
}

export function summarise(profile: CpuProfile, file: string, windows: ProfileWindowInput[]): ProfileSummary {
  const attribution = new Attribution();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  // Each node's frame and group; a frame without a script of its own (a V8 builtin, WebAssembly)
  // is in its caller's group.
  const frameOf = new Map<number, Frame>();
  const frame = (id: number): Frame => {
    const known = frameOf.get(id);
    if (known) return known;
    const node = byId.get(id)!;
    let resolved = attribution.frame(node.callFrame);
    if (resolved.group === INHERIT) {
      const parent = parentOf.get(id);
      resolved = { ...resolved, group: parent === undefined ? GROUPS.other : frame(parent).group };
    }
    frameOf.set(id, resolved);
    return resolved;
  };
  // The group charged with a node's time: its own, but a Node.js internal's or a builtin's goes to
  // the nearest caller that is neither (Node.js's own when there is none: the event loop, the HTTP server).
  const chargedOf = new Map<number, string>();
  const charged = (id: number): string => {
    const known = chargedOf.get(id);
    if (known) return known;
    const f = frame(id);
    const parent = parentOf.get(id);
    let group = f.group;
    if (f.chargeable || f.group === GROUPS.node) {
      const up = parent === undefined || byId.get(parent)!.callFrame.functionName === "(root)" ? null : charged(parent);
      group = up === null || up === GROUPS.program ? GROUPS.node : up;
    }
    chargedOf.set(id, group);
    return group;
  };

  // Sample i lasts until sample i + 1 (the last one: until the profile's end).
  const times: number[] = [];
  let at = profile.startTime;
  for (const delta of profile.timeDeltas) times.push((at += delta));
  const duration = (i: number) => Math.max(0, (times[i + 1] ?? profile.endTime) - times[i]!) / 1000;
  const intervals = profile.timeDeltas.slice(1).toSorted((a, b) => a - b);

  const bundled = { mappedMs: 0, unmappedMs: 0 };
  const summaries = windows.map((window): ProfileWindow => {
    const selfMs = new Map<number, number>();
    let samples = 0;
    let sampledMs = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      if (times[i]! < window.startUs || times[i]! >= window.endUs) continue;
      const ms = duration(i);
      samples += 1;
      sampledMs += ms;
      const id = profile.samples[i]!;
      selfMs.set(id, (selfMs.get(id) ?? 0) + ms);
    }
    const groups = new Map<string, { ms: number; chargedMs: number }>();
    const group = (name: string) => groups.get(name) ?? groups.set(name, { ms: 0, chargedMs: 0 }).get(name)!;
    const frames = new Map<string, { frame: Frame; ms: number; onBehalfOf: Map<string, number> }>();
    let idleMs = 0;
    for (const [id, ms] of selfMs) {
      const f = frame(id);
      if (f.group === IDLE) {
        idleMs += ms;
        continue;
      }
      group(f.group).ms += ms;
      const to = charged(id);
      group(to).chargedMs += ms;
      const entry = frames.get(f.key) ?? { frame: f, ms: 0, onBehalfOf: new Map<string, number>() };
      entry.ms += ms;
      entry.onBehalfOf.set(to, (entry.onBehalfOf.get(to) ?? 0) + ms);
      frames.set(f.key, entry);
      if (f.bundled === "mapped") bundled.mappedMs += ms;
      if (f.bundled === "unmapped") bundled.unmappedMs += ms;
    }
    const busyMs = sampledMs - idleMs;
    const percent = (ms: number) => round1((ms / Math.max(busyMs, 1e-9)) * 100);
    return {
      name: window.name,
      clients: window.clients,
      seconds: round1((window.endUs - window.startUs) / 1e6),
      requests: window.requests,
      samples,
      sampledMs: Math.round(sampledMs),
      idleMs: Math.round(idleMs),
      busyMs: Math.round(busyMs),
      busyMsPerRequest: window.requests > 0 ? round2(busyMs / window.requests) : 0,
      processCpuMsPerRequest: window.processCpuMsPerRequest,
      groups: [...groups]
        .map(([name, g]) => ({ group: name, ms: Math.round(g.ms), percent: percent(g.ms), chargedMs: Math.round(g.chargedMs), chargedPercent: percent(g.chargedMs) }))
        .sort((a, b) => b.chargedMs - a.chargedMs || b.ms - a.ms),
      top: [...frames.values()]
        .sort((a, b) => b.ms - a.ms)
        .slice(0, TOP_FRAMES)
        .map(({ frame: f, ms, onBehalfOf }) => ({
          functionName: f.functionName,
          location: f.location,
          group: f.group,
          onBehalfOf: [...onBehalfOf].reduce((a, b) => (b[1] > a[1] ? b : a))[0],
          selfMs: Math.round(ms),
          percent: percent(ms),
        })),
    };
  });
  return {
    file,
    samples: profile.samples.length,
    seconds: round1((profile.endTime - profile.startTime) / 1e6),
    intervalUs: intervals[Math.floor(intervals.length / 2)] ?? 0,
    bundled: { mappedMs: Math.round(bundled.mappedMs), unmappedMs: Math.round(bundled.unmappedMs), ...attribution.chunkCounts() },
    windows: summaries,
  };
}

const IDLE = "(idle)";
const INHERIT = "(caller's)";

export const GROUPS = {
  ours: "our code (src/)",
  next: "Next.js",
  react: "React",
  prisma: "Prisma",
  pg: "pg (node-postgres)",
  stripe: "Stripe SDK",
  pino: "pino",
  zod: "zod",
  otel: "OpenTelemetry",
  auth: "Auth.js",
  metrics: "prom-client",
  node: "Node.js internals",
  gc: "V8: garbage collection",
  program: "V8: native, not JavaScript",
  unmapped: "build output, unmapped",
  packages: "other packages",
  other: "other",
} as const;

/** A package under node_modules → its group (pino's and pg's helpers counted with them). */
const PACKAGE_GROUPS: [RegExp, string][] = [
  [/^next$/, GROUPS.next],
  [/^(react|react-dom|react-server-dom-[\w-]+|scheduler)$/, GROUPS.react],
  [/^(@prisma\/.*|\.prisma|prisma)$/, GROUPS.prisma],
  [/^(pg|pg-pool|pg-protocol|pg-types|pg-int8|pg-connection-string|pgpass|postgres-array|postgres-bytea|postgres-date|postgres-interval|split2)$/, GROUPS.pg],
  [/^stripe$/, GROUPS.stripe],
  [/^(pino|pino-[\w-]+|@pinojs\/.*|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify|real-require)$/, GROUPS.pino],
  [/^zod$/, GROUPS.zod],
  [/^@opentelemetry\/.*$/, GROUPS.otel],
  [/^(next-auth|@auth\/.*|jose|oauth4webapi|@panva\/hkdf|preact|preact-render-to-string)$/, GROUPS.auth],
  [/^(prom-client|tdigest|bintrees)$/, GROUPS.metrics],
];

type Frame = {
  key: string;
  functionName: string;
  location: string;
  group: string;
  /** Time charged to its caller: a V8 builtin or WebAssembly (no script of its own). */
  chargeable: boolean;
  bundled: "mapped" | "unmapped" | null;
};

/** Names frames: where their function is (through source maps for bundled chunks) and which group it counts in. */
class Attribution {
  private readonly maps = new Map<string, SourceMap | null>();

  frame(callFrame: CpuProfile["nodes"][number]["callFrame"]): Frame {
    const { functionName, url, lineNumber, columnNumber } = callFrame;
    const name = functionName || "(anonymous)";
    const plain = { chargeable: false, bundled: null };
    if (url === "") {
      const special: Record<string, string> = { "(idle)": IDLE, "(garbage collector)": GROUPS.gc, "(program)": GROUPS.program, "(root)": GROUPS.program };
      const group = special[functionName];
      if (group) return { key: `native:${functionName}`, functionName: name, location: "(native)", group, ...plain };
      return { key: `native:${functionName}`, functionName: name, location: "(native)", group: INHERIT, chargeable: true, bundled: null };
    }
    if (url.startsWith("wasm://")) return { key: `${url}:${name}`, functionName: name, location: "(WebAssembly)", group: INHERIT, chargeable: true, bundled: null };
    if (url.startsWith("node:")) return { key: `${url}:${lineNumber}:${columnNumber}:${name}`, functionName: name, location: `${url}:${lineNumber + 1}`, group: GROUPS.node, ...plain };
    const file = url.startsWith("file://") ? fileURLToPath(url) : url;
    const relative = displayPath(file);
    const at = `${relative}:${lineNumber + 1}`;
    if (isBuildOutput(relative)) {
      // Turbopack's module runtime, shipped by Next.js (its map names no source).
      if (/\[turbopack\]_runtime\.js$/.test(relative)) return { key: `${relative}:${lineNumber}:${columnNumber}`, functionName: name, location: at, group: GROUPS.next, ...plain };
      const original = this.original(file, lineNumber, columnNumber);
      if (original) {
        const source = displayPath(original.source);
        // The map's name is the source's, where it has one; V8's is the minified one.
        const mappedName = original.name ?? name;
        return {
          key: `${source}:${original.line}:${mappedName}`,
          functionName: mappedName,
          location: `${source}:${original.line + 1}`,
          group: groupOfPath(source),
          chargeable: false,
          bundled: "mapped",
        };
      }
      return { key: `${relative}:${lineNumber}:${columnNumber}`, functionName: name, location: `${at}:${columnNumber + 1}`, group: GROUPS.unmapped, chargeable: false, bundled: "unmapped" };
    }
    return { key: `${relative}:${lineNumber}:${columnNumber}`, functionName: name, location: at, group: groupOfPath(relative), ...plain };
  }

  chunkCounts() {
    const loaded = [...this.maps.values()];
    return { chunksWithMaps: loaded.filter(Boolean).length, chunksWithoutMaps: loaded.filter((map) => !map).length };
  }

  private original(file: string, line: number, column: number) {
    if (!this.maps.has(file)) this.maps.set(file, loadSourceMap(file));
    const original = this.maps.get(file)?.lookup(line, column);
    return original && original.source ? original : null;
  }
}

/** Next.js build output: `<distDir>/server/…` (the app's is `.next` or a harness's `.next-*`). */
function isBuildOutput(relative: string): boolean {
  return /^\.next[^/]*\/server\//.test(relative);
}

/** The group of a path relative to the repository. */
export function groupOfPath(relative: string): string {
  if (/^src\//.test(relative)) return GROUPS.ours;
  const modules = relative.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const [first = "", second = ""] = relative.slice(modules + "node_modules/".length).split("/");
    const name = first.startsWith("@") ? `${first}/${second}` : first;
    return PACKAGE_GROUPS.find(([pattern]) => pattern.test(name))?.[1] ?? GROUPS.packages;
  }
  if (isBuildOutput(relative)) return GROUPS.unmapped;
  return GROUPS.other;
}

/** A path relative to the repository; outside it, its last three segments (no machine's layout in a report). */
function displayPath(file: string): string {
  if (!path.isAbsolute(file)) return file;
  const relative = path.relative(process.cwd(), file).split(path.sep).join("/");
  if (!relative.startsWith("../")) return relative;
  return `…/${file.split(path.sep).slice(-3).join("/")}`;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
