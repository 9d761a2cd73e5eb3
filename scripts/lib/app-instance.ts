import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import path from "node:path";

const NEXT = path.resolve("node_modules/next/dist/bin/next");
const HEALTH_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
/** Only these are inherited, so a developer's shell (DATABASE_URL, LOG_LEVEL…) cannot leak in. */
const INHERITED = ["PATH", "HOME", "TMPDIR", "TZ", "LANG"];

export type InstanceStatus = {
  name: string;
  url: string;
  pid: number | null;
  alive: boolean;
  /** How the last run ended, once it has. */
  exit: { code: number | null; signal: string | null } | null;
  /** The end of this instance's log (stdout and stderr of every run). */
  logTail: string;
};

/**
 * One production app server (`next start` from the build in `distDir`) on a fixed 127.0.0.1
 * port, for the test harnesses and the benchmark. The process started is the server itself,
 * so kill() is a real crash of the code under test. `projectDir` names another Next.js
 * project than the app (the bench's baseline app, see build-app-if-stale.ts).
 */
export class AppInstance {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private lastExit: InstanceStatus["exit"] = null;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
    private readonly distDir: string,
    private readonly projectDir = ".",
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the server with `extraEnv` on top of the base environment; resolves once healthy. */
  async start(extraEnv: Record<string, string> = {}): Promise<void> {
    if (this.child) throw new Error(`instance ${this.name} is already running`);
    const inherited: Record<string, string> = {};
    for (const name of INHERITED) if (process.env[name]) inherited[name] = process.env[name];
    const log = openSync(this.logFile, "a");
    const child = spawn(process.execPath, [NEXT, "start", this.projectDir, "--hostname", "127.0.0.1", "--port", String(this.port)], {
      env: { ...inherited, ...this.env, ...extraEnv, NODE_ENV: "production", NEXT_DIST_DIR: this.distDir },
      stdio: ["ignore", log, log],
    });
    closeSync(log); // the child holds its own descriptor
    this.child = child;
    this.lastExit = null;
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.lastExit = { code, signal };
        if (this.child === child) this.child = null;
        resolve();
      }),
    );
    await this.waitForHealth();
  }

  /** SIGTERM, then SIGKILL if it has not exited after a grace period. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** kill -9, as a crash would. */
  async kill(): Promise<void> {
    this.child?.kill("SIGKILL");
    await this.exited;
  }

  /** For a process "exit" hook: no awaiting possible there. */
  killNow(): void {
    this.child?.kill("SIGKILL");
  }

  async restart(extraEnv: Record<string, string> = {}): Promise<void> {
    await this.stop();
    await this.start(extraEnv);
  }

  status(): InstanceStatus {
    const log = readFileSync(this.logFile, "utf8");
    return {
      name: this.name,
      url: this.url,
      pid: this.child?.pid ?? null,
      alive: this.child !== null,
      exit: this.lastExit,
      logTail: log.slice(-4_000),
    };
  }

  /** Polls GET /api/health until 200 (bounded), failing at once if the server exits. */
  private async waitForHealth(): Promise<void> {
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.child) throw new Error(`instance ${this.name} exited while starting:\n${this.status().logTail}`);
      try {
        if ((await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(2_000) })).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    throw new Error(`instance ${this.name} was not healthy within ${HEALTH_TIMEOUT_MS} ms:\n${this.status().logTail}`);
  }
}
