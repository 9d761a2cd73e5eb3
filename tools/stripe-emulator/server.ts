import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import { handleAdminRequest } from "./admin-handler";
import { handleApiRequest } from "./api-handler";
import { handleBrowserRequest } from "./browser-handler";
import type { EmulatorControl } from "./control";
import type { EmulatorState } from "./emulator-state";
import { newId } from "./new-id";

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The HTTP server: `/_emulator/*` goes to the admin handler, the pages and scripts a browser loads
 * (Stripe.js stand-in, card frame, 3D Secure page) to the browser handler, everything else is the
 * Stripe API.
 */
export function createEmulatorServer(state: EmulatorState, control: EmulatorControl): Server {
  return createServer((request, response) => {
    // A client that gives up (timeout, dropped fault) makes writes fail; that is expected here.
    response.on("error", () => {});
    void route(state, control, request, response).catch((error: unknown) => {
      process.stderr.write(`stripe-emulator: unexpected error: ${String(error)}\n`);
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
}

async function route(
  state: EmulatorState,
  control: EmulatorControl,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const requestId = newId("req", 14);
  response.setHeader("Request-Id", requestId);
  const body = await readBody(request).catch(() => undefined);
  // The client went away before sending its whole request; there is no one to answer.
  if (body === undefined) return;
  if (body === null) {
    response.writeHead(413, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ error: { type: "invalid_request_error", message: "Request body too large." } }));
    return;
  }
  if ((request.url ?? "/").startsWith("/_emulator/")) {
    await handleAdminRequest(control, request, response, body);
  } else if (!handleBrowserRequest(state, control, request, response, body)) {
    await handleApiRequest(state, request, response, requestId, body);
  }
}

/** The body as text, or null when it is larger than any Stripe request can be. */
async function readBody(request: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
