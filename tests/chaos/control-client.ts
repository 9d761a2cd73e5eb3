import type { InstanceStatus } from "../../scripts/lib/app-instance";
import { chaosContext, type InstanceName } from "./chaos-context";

export type { InstanceName };

/** Restarts an instance with extra environment variables (none: a normal start); waits until healthy. */
export function restartInstance(name: InstanceName, env: Record<string, string> = {}): Promise<InstanceStatus> {
  return control("POST", `/instances/${name}/restart`, { env });
}

export function killInstance(name: InstanceName): Promise<InstanceStatus> {
  return control("POST", `/instances/${name}/kill`);
}

export function instanceStatus(name: InstanceName): Promise<InstanceStatus> {
  return control("GET", `/instances/${name}`);
}

/** Stops the embedded PostgreSQL (fast shutdown); its data directory is kept. */
export async function stopPostgres(): Promise<void> {
  await control("POST", "/postgres/stop");
}

/** Starts it again on the same port and data directory; nothing if it is running. */
export async function startPostgres(): Promise<void> {
  await control("POST", "/postgres/start");
}

/** Asks the global setup's control server (control-server.ts), which owns the processes. */
async function control<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${chaosContext().controlUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
  });
  const result = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(`control ${method} ${path} failed: ${result.error ?? response.status}`);
  return result;
}
