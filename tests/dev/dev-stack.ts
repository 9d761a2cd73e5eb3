import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdtemp } from "node:fs/promises";
import { connect } from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../scripts/lib/embedded-postgres";

/** Only these are inherited: a developer's DATABASE_URL or STRIPE_* must not reach the stack. */
const INHERITED = ["PATH", "HOME", "TMPDIR", "LANG", "TZ"];

/** A scratch directory PostgreSQL (run as its own user when the tests run as root) can reach. */
export async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

/** The environment of a command run as a user would run it, with nothing of ours but `extra`. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: Record<string, string> = {};
  for (const name of INHERITED) if (process.env[name]) env[name] = process.env[name];
  // Next.js's typings declare NODE_ENV always set; a developer's shell leaves it unset.
  return { ...env, ...extra } as NodeJS.ProcessEnv;
}

export type DevStackOptions = {
  /** ENV_DIR: where the stack reads and writes its .env files. */
  envDir: string;
  /** DEV_DATA_DIR. */
  dataDir: string;
  /** Start Next.js too (else `--no-next`), building into this directory (NEXT_DIST_DIR). */
  nextDistDir?: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
};

/** One `npm run dev`, as a developer starts it, in a process group of its own. */
export class DevStack {
  readonly port: number;
  private output = "";
  private readonly child: ChildProcess;
  /** When npm has exited and every process that shares its output (tsx, this script, Next.js) too. */
  readonly closed: Promise<{ code: number | null; signal: string | null }>;

  private constructor(port: number, options: DevStackOptions) {
    this.port = port;
    const args = ["run", "dev", ...(options.nextDistDir ? [] : ["--", "--no-next"])];
    this.child = spawn("npm", args, {
      env: cleanEnv({
        ENV_DIR: options.envDir,
        DEV_DATA_DIR: options.dataDir,
        PORT: String(port),
        ...(options.nextDistDir && { NEXT_DIST_DIR: options.nextDistDir }),
        ...options.env,
      }),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) stream.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.closed = new Promise((resolve) => this.child.once("close", (code, signal) => resolve({ code, signal })));
  }

  static async start(options: DevStackOptions): Promise<DevStack> {
    const stack = new DevStack(await freePort(), options);
    const timeoutMs = options.readyTimeoutMs ?? (options.nextDistDir ? 200_000 : 90_000);
    try {
      await stack.waitFor(/^\[dev\] ready:/m, timeoutMs);
    } catch (error) {
      await stack.killAll();
      throw error;
    }
    return stack;
  }

  get npmPid(): number {
    return this.child.pid!;
  }

  get log(): string {
    return this.output;
  }

  /** Resolves once the output matches; rejects, with the output, once closed or after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<void> {
    let closed = false;
    void this.closed.then(() => (closed = true));
    for (const deadline = Date.now() + timeoutMs; !pattern.test(this.output); ) {
      if (closed || Date.now() > deadline) {
        throw new Error(`npm run dev ${closed ? "ended" : `printed no ${pattern} within ${timeoutMs} ms`}:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** npm → tsx → node (`exec` in package.json replaces sh -c): the processes a signal may be sent to. */
  layers(): { npm: number; tsx: number; node: number } {
    const children = (pid: number) => allProcesses().filter((p) => p.ppid === pid);
    const below = (pid: number, pattern: RegExp): number => {
      const found = children(pid).find((p) => pattern.test(p.cmdline)) ?? children(pid).flatMap((p) => children(p.pid)).find((p) => pattern.test(p.cmdline));
      if (!found) throw new Error(`no child of ${pid} matches ${pattern}:\n${JSON.stringify(tree(this.npmPid), null, 1)}`);
      return found.pid;
    };
    const tsx = below(this.npmPid, /\.bin\/tsx scripts\/dev\.ts/);
    const node = below(tsx, /preflight\.cjs.* scripts\/dev\.ts/);
    return { npm: this.npmPid, tsx, node };
  }

  /** Every process started for this stack, Next.js's own process group included. */
  processes(): ProcessInfo[] {
    return tree(this.npmPid);
  }

  /** Last resort for a failed test: SIGKILL every process group of the stack, and wait until they are gone. */
  async killAll(pids: ProcessInfo[] = this.processes()): Promise<void> {
    for (const pgrp of new Set([this.npmPid, ...pids.map((p) => p.pgrp)])) {
      try {
        process.kill(-pgrp, "SIGKILL");
      } catch {
        // gone already
      }
    }
    for (const deadline = Date.now() + 10_000; stillRunning(pids).length > 0 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export type ProcessInfo = { pid: number; ppid: number; pgrp: number; startTime: string; cmdline: string };

function allProcesses(): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      found.push({ pid: Number(entry), ppid: Number(fields[1]), pgrp: Number(fields[2]), startTime: fields[19] ?? "", cmdline });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** `root` and everything below it. */
function tree(root: number): ProcessInfo[] {
  const processes = allProcesses();
  const result = processes.filter((p) => p.pid === root);
  for (let i = 0; i < result.length; i++) result.push(...processes.filter((p) => p.ppid === result[i]!.pid));
  return result;
}

/** Those of `processes` that still run (the same pid with the same start time, not a zombie). */
export function stillRunning(processes: ProcessInfo[]): ProcessInfo[] {
  const now = new Map(allProcesses().map((p) => [p.pid, p.startTime]));
  return processes.filter((p) => now.get(p.pid) === p.startTime);
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, timeout: 2_000 });
    const answer = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.once("connect", () => answer(true));
    socket.once("error", () => answer(false));
    socket.once("timeout", () => answer(false));
  });
}

/** The ports a stack in `dataDir` keeps (PostgreSQL, the emulator). */
export function keptPorts(dataDir: string): number[] {
  return ["postgres.port", "stripe-emulator.port"]
    .map((file) => path.join(dataDir, file))
    .filter((file) => existsSync(file))
    .map((file) => Number(readFileSync(file, "utf8").trim()));
}

/** Processes whose command line names `text` (a data directory, a port): none may outlive a stack. */
export function processesMentioning(text: string): ProcessInfo[] {
  return allProcesses().filter((p) => p.pid !== process.pid && p.cmdline.includes(text));
}
