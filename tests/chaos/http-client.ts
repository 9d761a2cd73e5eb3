import { Agent, request as httpRequest, type OutgoingHttpHeaders } from "node:http";
import { connect } from "node:net";

export type HttpRequest = {
  method?: string;
  /** Path and query, e.g. "/api/payments?limit=1". */
  path: string;
  /** An array value sends the header once per element (a duplicated header field). */
  headers?: Record<string, string | string[]>;
  /** Several chunks are sent without Content-Length (chunked), as a streaming client would. */
  body?: string | Buffer | Buffer[];
};

export type HttpAnswer = {
  /** 0 when no answer came: the connection failed, was reset, or timed out. */
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
  /** Why there is no answer (status 0). */
  error?: string;
  ms: number;
};

/** Requests that get no answer within this long count as failed (status 0): runs stay bounded. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Keep-alive sockets, at most `maxSockets` per instance: how the suites bound their concurrency. */
export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets });
}

/**
 * One HTTP/1.1 exchange with node:http, which (unlike fetch) sends headers exactly as given:
 * repeated fields, Latin-1 bytes, no Content-Type unless asked for. Never throws.
 */
export function send(baseUrl: string, req: HttpRequest, agent?: Agent): Promise<HttpAnswer> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const outgoing = httpRequest(
      new URL(req.path, baseUrl),
      { method: req.method ?? "GET", headers: req.headers as OutgoingHttpHeaders | undefined, agent, timeout: REQUEST_TIMEOUT_MS },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: flatten(response.headers),
            body: Buffer.concat(chunks).toString("utf8"),
            ms: elapsed(),
          }),
        );
        response.on("error", (error) => resolve(failed(error, elapsed())));
      },
    );
    outgoing.on("timeout", () => outgoing.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    outgoing.on("error", (error) => resolve(failed(error, elapsed())));
    if (Array.isArray(req.body)) {
      for (const chunk of req.body) outgoing.write(chunk);
      outgoing.end();
    } else {
      outgoing.end(req.body);
    }
  });
}

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : value]));
}

function failed(error: Error, ms: number): HttpAnswer {
  const code = (error as NodeJS.ErrnoException).code;
  return { status: 0, headers: {}, body: "", error: code ? `${code}: ${error.message}` : error.message, ms };
}

/**
 * Writes `head` (request line and header lines, without the blank line) and `body` as raw
 * Latin-1 bytes on a new connection (`Connection: close` is added) and reads the answer's
 * status and headers: for bytes node:http refuses to send, such as control characters in a
 * header value. The body is returned undecoded.
 */
export function sendRaw(baseUrl: string, head: string, body = ""): Promise<HttpAnswer> {
  const started = performance.now();
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    socket.on("connect", () => socket.write(Buffer.from(`${head}\r\nConnection: close\r\n\r\n${body}`, "latin1")));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error) => resolve(failed(error, Math.round(performance.now() - started))));
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const [headText = "", ...rest] = text.split("\r\n\r\n");
      const [statusLine = "", ...headerLines] = headText.split("\r\n");
      const headers = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(":")).trim().toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
      );
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      resolve({ status, headers, body: rest.join("\r\n\r\n"), ms: Math.round(performance.now() - started) });
    });
  });
}
