import type { IncomingMessage, ServerResponse } from "node:http";
import { answerChallenge, showChallengePage } from "./challenge-page";
import type { EmulatorControl } from "./control";
import type { EmulatorState } from "./emulator-state";
import { paymentFrameHtml, paymentFrameScript, stripeJsScript } from "./stripe-js-assets";

/**
 * What a browser loads from the emulator rather than from Stripe: the Stripe.js stand-in (where
 * js.stripe.com serves Stripe.js), the Payment Element's card frame, and the 3D Secure challenge
 * page (where Stripe's hooks serve the test page). Everything else goes to the API.
 * Returns whether the request was one of these.
 */
export function handleBrowserRequest(
  state: EmulatorState,
  control: EmulatorControl,
  request: IncomingMessage,
  response: ServerResponse,
  body: string,
): boolean {
  const url = new URL(request.url ?? "/", "http://emulator.invalid");
  const method = request.method ?? "GET";
  const path = url.pathname;
  const respond = (status: number, contentType: string, text: string) => {
    // Scripts are read again on every page load, so an emulator upgrade never meets a stale copy.
    response.writeHead(status, { "Content-Type": contentType, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff" });
    response.end(text);
  };

  let handled = true;
  if (method === "GET" && (path === "/v3" || path === "/v3/")) {
    respond(200, JAVASCRIPT, stripeJsScript(3));
  } else if (method === "GET" && /^\/[a-z]{3,20}\/stripe\.js$/.test(path)) {
    // js.stripe.com/<release train>/stripe.js, what @stripe/stripe-js 10 loads ("endive").
    respond(200, JAVASCRIPT, stripeJsScript(path.split("/")[1] ?? ""));
  } else if (method === "GET" && path === "/elements/payment-frame") {
    respond(200, "text/html; charset=utf-8", paymentFrameHtml());
  } else if (method === "GET" && path === "/elements/payment-frame.js") {
    respond(200, JAVASCRIPT, paymentFrameScript());
  } else if (method === "GET" && path === "/3d_secure_2/hosted") {
    showChallengePage(state, url.searchParams, response);
  } else if (method === "POST" && path === "/3d_secure_2/hosted") {
    answerChallenge(control, state, body, response);
  } else {
    handled = false;
  }
  // Paths only: the query of a challenge page names its attempt.
  if (handled) state.log(`${method} ${path} ${response.statusCode}`);
  return handled;
}

const JAVASCRIPT = "application/javascript; charset=utf-8";
