import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// Method syntax makes the parameters bivariant, so handlers with narrower params fit.
type Handler = { handle(request: Request, context: { params: Promise<Record<string, string>> }): Promise<Response> }["handle"];

/** `"/api/payments/:id"` → handlers by method. */
export type Routes = Record<string, Partial<Record<string, Handler>>>;

/**
 * Serves route handlers over real HTTP on 127.0.0.1, for clients that need a live server
 * (curl scripts, the emulator's webhook deliveries) without a Next.js build. Port 0 (the
 * default) picks a free one; a fixed port is for a sender told the URL beforehand (`stripe listen`).
 */
export async function startRouteServer(routes: Routes, options: { port?: number } = {}): Promise<{ url: string; close(): Promise<void> }> {
  const table = Object.entries(routes).map(([pattern, handlers]) => ({ match: compile(pattern), handlers }));
  const server: Server = createServer((incoming, outgoing) => {
    void serve(table, incoming, outgoing).catch((error: unknown) => {
      outgoing.statusCode = 500;
      outgoing.end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function serve(
  table: { match: (path: string) => Record<string, string> | null; handlers: Partial<Record<string, Handler>> }[],
  incoming: IncomingMessage,
  outgoing: ServerResponse,
) {
  const url = new URL(incoming.url ?? "/", "http://127.0.0.1");
  for (const { match, handlers } of table) {
    const params = match(url.pathname);
    if (!params) continue;
    const handler = handlers[incoming.method ?? "GET"];
    if (!handler) break;
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers)) {
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
    }
    const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD";
    const request = new Request(url, { method: incoming.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined });
    const response = await handler(request, { params: Promise.resolve(params) });
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    outgoing.end(Buffer.from(await response.arrayBuffer()));
    return;
  }
  outgoing.writeHead(404).end();
}

function compile(pattern: string): (path: string) => Record<string, string> | null {
  const names: string[] = [];
  const regex = new RegExp(
    `^${pattern.replace(/:([a-z]+)/gi, (_, name: string) => {
      names.push(name);
      return "([^/]+)";
    })}$`,
  );
  return (path) => {
    const found = regex.exec(path);
    return found ? Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1]!)])) : null;
  };
}
