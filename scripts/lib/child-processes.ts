import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

/** Runs a command to completion, inheriting stdio; rejects on a non-zero exit. */
export function runCommand(command: string, args: string[], options: SpawnOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit", ...options });
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited with ${signal ?? code}`)),
    );
  });
}

/**
 * Starts a long-running child in its own process group, so that stopping it also stops
 * whatever it spawned (Next.js runs its server in a grandchild process).
 */
export function startGroup(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(command, args, { stdio: "inherit", detached: true, ...options });
}

/** Sends `signal` to the child's whole process group; safe to call twice. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
