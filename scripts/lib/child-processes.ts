import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import path from "node:path";

/**
 * Runs a command to completion, inheriting stdio; rejects on a non-zero exit. A stderr given as
 * "pipe" is kept quiet and its end told in the rejection instead.
 */
export function runCommand(command: string, args: string[], options: SpawnOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit", ...options });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(command)} ${args.join(" ")} exited with ${signal ?? code}${stderr.trim() ? `: ${stderr.trim()}` : ""}`)),
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

/**
 * Stops a child started with startGroup and everything in its process group: SIGTERM, then
 * SIGKILL for whatever is still there after `graceMs` (a grandchild busy compiling may not
 * honour SIGTERM once its parent is gone).
 */
export async function stopGroup(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.pid === undefined) return;
  const group = -child.pid;
  if (!signal(group, "SIGTERM")) return;
  for (const deadline = Date.now() + graceMs; Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (!signal(group, 0)) return;
  }
  signal(group, "SIGKILL");
}

/** False when no process is left to receive it. */
function signal(target: number, name: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, name);
    return true;
  } catch {
    return false;
  }
}
