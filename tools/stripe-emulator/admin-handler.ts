import type { IncomingMessage, ServerResponse } from "node:http";
import { AdminError, type EmulatorControl } from "./control";
import { StripeApiError } from "./errors";
import { parseFaultChanges } from "./faults";
import { decodeForm } from "./form-decode";
import { Params } from "./params";

interface AdminRequest {
  query: string;
  body: string;
  /** The id captured by the route's path, if any. */
  id: string;
}

interface AdminRoute {
  method: "GET" | "POST" | "DELETE";
  path: RegExp;
  action(control: EmulatorControl, request: AdminRequest): unknown;
}

const OK = { ok: true };

// Test and operations endpoints. They take and return JSON, need no API key and see every account,
// which is why they only answer clients on the loopback interface.
const ADMIN_ROUTES: readonly AdminRoute[] = [
  { method: "GET", path: /^\/_emulator\/health$/, action: () => OK },
  { method: "GET", path: /^\/_emulator\/stats$/, action: (control) => control.stats() },
  {
    method: "GET",
    path: /^\/_emulator\/payment_intents$/,
    action: (control, { query }) => ({ data: control.paymentIntents({ metadata: metadataFilter(query) }) }),
  },
  {
    method: "POST",
    path: /^\/_emulator\/payment_intents\/([\w-]+)\/authenticate$/,
    action: (control, { id, body }) => control.authenticatePaymentIntent(id, authenticationResult(body)),
  },
  {
    method: "GET",
    path: /^\/_emulator\/disputes$/,
    action: (control, { query }) => ({
      data: control.disputes({ payment_intent: new URLSearchParams(query).get("payment_intent") ?? undefined }),
    }),
  },
  {
    method: "POST",
    path: /^\/_emulator\/disputes\/([\w-]+)\/close$/,
    action: (control, { id, body }) => control.closeDispute(id, disputeDecision(body)),
  },
  {
    method: "POST",
    path: /^\/_emulator\/settle$/,
    action: (control, { body }) => ({ settled: control.settle(settleTarget(body)) }),
  },
  {
    method: "GET",
    path: /^\/_emulator\/events$/,
    action: (control, { query }) => ({ data: control.events({ type: new URLSearchParams(query).get("type") ?? undefined }) }),
  },
  {
    method: "POST",
    path: /^\/_emulator\/events\/([\w-]+)\/resend$/,
    action: (control, { id }) => control.resendEvent(id),
  },
  { method: "GET", path: /^\/_emulator\/faults$/, action: (control) => control.faults() },
  {
    method: "POST",
    path: /^\/_emulator\/faults$/,
    action: (control, { body }) => control.setFaults(parseFaultChanges(parseJson(body))),
  },
  { method: "DELETE", path: /^\/_emulator\/faults$/, action: (control) => control.resetFaults() },
  {
    method: "POST",
    path: /^\/_emulator\/webhook$/,
    action: (control, { body }) => {
      const { url, secret, apiVersion } = webhookSettings(body);
      control.setWebhook(url, secret, { apiVersion });
      return OK;
    },
  },
  {
    method: "POST",
    path: /^\/_emulator\/webhooks\/flush$/,
    action: async (control) => {
      await control.flushWebhooks();
      return OK;
    },
  },
  {
    method: "POST",
    path: /^\/_emulator\/reset$/,
    action: (control) => {
      control.reset();
      return OK;
    },
  },
];

export async function handleAdminRequest(
  control: EmulatorControl,
  request: IncomingMessage,
  response: ServerResponse,
  body: string,
): Promise<void> {
  if (!isLoopback(request.socket.remoteAddress)) {
    sendJson(response, 403, adminError("Admin endpoints answer loopback clients only."));
    return;
  }
  const url = new URL(request.url ?? "/", "http://emulator.invalid");
  const route = ADMIN_ROUTES.find((candidate) => candidate.method === request.method && candidate.path.test(url.pathname));
  if (!route) {
    sendJson(response, 404, adminError(`Unknown admin endpoint: ${request.method ?? "?"} ${url.pathname}`));
    return;
  }
  const id = route.path.exec(url.pathname)?.[1] ?? "";
  try {
    const result = await route.action(control, { query: url.search.slice(1), body, id });
    sendJson(response, 200, result);
  } catch (error) {
    if (error instanceof AdminError) sendJson(response, error.status, adminError(error.message));
    else if (error instanceof StripeApiError) sendJson(response, error.status, { error: error.body });
    else if (error instanceof RangeError || error instanceof SyntaxError) sendJson(response, 400, adminError(error.message));
    else throw error;
  }
}

function metadataFilter(query: string): Record<string, string> | undefined {
  return new Params(decodeForm(query)).metadata();
}

function authenticationResult(body: string): "succeed" | "fail" {
  const { result } = parseObject(body);
  if (result === "succeed" || result === "fail") return result;
  throw new AdminError(400, 'Expected a JSON body {"result": "succeed" | "fail"}');
}

function disputeDecision(body: string): "won" | "lost" {
  const { status } = parseObject(body);
  if (status === "won" || status === "lost") return status;
  throw new AdminError(400, 'Expected a JSON body {"status": "won" | "lost"}');
}

function settleTarget(body: string): string | undefined {
  const { id } = parseObject(body);
  if (id === undefined || typeof id === "string") return id;
  throw new AdminError(400, 'Expected a JSON body {} or {"id": "re_…" | "ch_…" | "du_…" | "pi_…"}');
}

function webhookSettings(body: string): { url: string | null; secret?: string; apiVersion?: string } {
  const { url, secret, apiVersion } = parseObject(body);
  const expected = 'Expected a JSON body {"url": string | null, "secret": "whsec_…", "apiVersion"?: "YYYY-MM-DD.name"}';
  if (url !== null && typeof url !== "string") throw new AdminError(400, expected);
  if (secret !== undefined && typeof secret !== "string") throw new AdminError(400, expected);
  if (apiVersion !== undefined && typeof apiVersion !== "string") throw new AdminError(400, expected);
  return { url, secret, apiVersion };
}

function parseJson(body: string): unknown {
  return body.trim() === "" ? {} : JSON.parse(body);
}

function parseObject(body: string): Record<string, unknown> {
  const value = parseJson(body);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AdminError(400, "Expected a JSON object body");
  }
  return Object.fromEntries(Object.entries(value));
}

function adminError(message: string): { error: { type: "invalid_request_error"; message: string } } {
  return { error: { type: "invalid_request_error", message } };
}

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address === "::1" || /^(::ffff:)?127\./.test(address));
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(JSON.stringify(body, null, 2));
}
