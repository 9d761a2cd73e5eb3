import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { AppInstance } from "../../scripts/lib/app-instance";

export type ControlTargets = {
  instances: Record<string, AppInstance>;
  postgres: { stop(): Promise<void>; start(): Promise<void> };
};

/**
 * The processes of the chaos run belong to the global setup (one place starts and stops
 * them all, even when a test file fails), but the scenarios, which run in a vitest worker,
 * must crash and restart them. This loopback endpoint is how they ask (control-client.ts):
 *
 *   GET  /instances/:name           → InstanceStatus
 *   POST /instances/:name/restart   {"env": {…}} → InstanceStatus (once healthy)
 *   POST /instances/:name/kill      → InstanceStatus (kill -9)
 *   POST /postgres/stop | /postgres/start  (same data directory, same port)
 */
export async function startControlServer(targets: ControlTargets): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    handle(targets, request)
      .then((result) => {
        response.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(result ?? {}));
      })
      .catch((error: unknown) => {
        response.writeHead(500, { "Content-Type": "application/json" }).end(JSON.stringify({ error: String(error) }));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function handle(targets: ControlTargets, request: IncomingMessage): Promise<unknown> {
  const [resource, name, action] = (request.url ?? "").split("/").filter(Boolean);
  if (resource === "postgres" && request.method === "POST" && (name === "stop" || name === "start")) {
    await targets.postgres[name]();
    return { postgres: name === "stop" ? "stopped" : "running" };
  }
  const instance = resource === "instances" && name ? targets.instances[name] : undefined;
  if (!instance) throw new Error(`unknown control request ${request.method} ${request.url}`);
  if (request.method === "GET" && action === undefined) return instance.status();
  if (request.method === "POST" && action === "restart") {
    const { env } = JSON.parse((await readBody(request)) || "{}") as { env?: Record<string, string> };
    await instance.restart(env);
    return instance.status();
  }
  if (request.method === "POST" && action === "kill") {
    await instance.kill();
    return instance.status();
  }
  throw new Error(`unknown control request ${request.method} ${request.url}`);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
