import { spawn, type ChildProcess } from "node:child_process";
import { emulatorAdminClient } from "../../tools/stripe-emulator/admin-client";

const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

export type EmulatorProcess = {
  url: string;
  pid: number;
  admin: ReturnType<typeof emulatorAdminClient>;
  stop(): Promise<void>;
};

/**
 * The Stripe emulator in a process of its own (`node --import tsx tools/stripe-emulator/cli.ts`,
 * one process), not inside the bench driver: its CPU is then read from /proc apart from the load
 * generator's. Its state and faults (latency) are reached through its loopback admin API.
 */
export async function startEmulatorProcess(latencyMs: number): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "tools/stripe-emulator/cli.ts", "--port", "0", "--latency-ms", String(latencyMs)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await listeningUrl(child);
  const admin = emulatorAdminClient(() => url);
  return {
    url,
    pid: child.pid!,
    admin,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The URL of the "Stripe emulator listening on …" line its CLI prints once it listens. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the Stripe emulator did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the Stripe emulator exited with ${signal ?? code} while starting`));
    });
  });
}
