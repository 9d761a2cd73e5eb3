import { execFile, spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./embedded-postgres";

const NEXT = path.resolve("node_modules/next/dist/bin/next");

export type AppInstance = {
  url: string;
  port: number;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
};

/** Starts `next start` on 127.0.0.1 (the server process itself, so kill() is a real crash). */
export async function startApp(options: { distDir: string; env: Record<string, string>; port?: number }): Promise<AppInstance> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [NEXT, "start", "--hostname", "127.0.0.1", "--port", String(port)], {
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      NEXT_DIST_DIR: options.distDir,
      AUTH_URL: url,
      AUTH_TRUST_HOST: "true",
      ...options.env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signal = async (name: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(name);
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  await waitForHealth(url, child);
  return { url, port, process: child, stop: () => signal("SIGTERM", 5_000), kill: () => signal("SIGKILL", 0) };
}

/** Polls /api/health until 200 (bounded: 60 s), failing fast if the server exits. */
export async function waitForHealth(url: string, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`the app at ${url} exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the app at ${url} did not become healthy within 60 s`);
}

/** Creates (or reuses) a user and a fresh API key through the CLI; returns the secret. */
export async function createApiKeyFor(email: string, databaseUrl: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    path.resolve("node_modules/.bin/tsx"),
    ["--conditions=react-server", "scripts/create-api-key.ts", "--email", email, "--name", "harness"],
    { env: { ...process.env, DATABASE_URL: databaseUrl } },
  );
  const secret = stdout.trim().split("\n").at(-1);
  if (!secret) throw new Error("scripts/create-api-key.ts printed no key");
  return secret;
}
