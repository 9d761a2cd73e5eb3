import type { ServerResponse } from "node:http";
import type { EmulatorControl } from "./control";
import { formatAmount } from "./currencies";
import type { EmulatorState } from "./emulator-state";
import type { PaymentIntent } from "./objects";
import { pendingChallengeSource } from "./payment-attempts";

/** The answers the challenge page offers, as the customer's bank would. */
type Answer = "complete" | "fail";

/** What the challenge page is opened or answered with (its URL's query, or its form's fields). */
interface ChallengeRequest {
  paymentIntent: string;
  source: string;
  /** The page that shows it in a frame (Stripe.js's modal), told when it is answered. */
  parentOrigin: string | null;
}

/**
 * `GET /3d_secure_2/hosted`: the emulator's stand-in for the card issuer's 3D Secure challenge,
 * modelled on Stripe's test-mode page ("3D Secure 2 Test Page", with Complete and Fail;
 * docs.stripe.com/testing#regulatory-cards, docs.stripe.com/payments/3d-secure). It is what
 * `next_action.use_stripe_sdk.stripe_js` and `next_action.redirect_to_url.url` point at.
 */
export function showChallengePage(state: EmulatorState, query: URLSearchParams, response: ServerResponse): void {
  const request = readRequest(query);
  const intent = request && state.accounts.findPaymentIntent(request.paymentIntent)?.paymentIntent;
  if (!request || !intent) {
    sendPage(response, 404, "Unknown authentication", `<p>This 3D Secure test page does not belong to any PaymentIntent.</p>`);
    return;
  }
  if (pendingChallengeSource(intent) !== request.source) {
    sendPage(response, 409, "Nothing to authenticate", notPending(intent), notifyParent(request, intent));
    return;
  }
  const redirect = intent.next_action?.type === "redirect_to_url";
  sendPage(
    response,
    200,
    "3D Secure 2 Test Page",
    `<p>This page stands in for the customer's bank. Authenticate the test payment of
      <strong>${escapeHtml(formatAmount(intent.amount, intent.currency))}</strong> to let it go ahead, or fail
      authentication to see how your integration handles it.</p>
    <form method="post" action="/3d_secure_2/hosted"${redirect ? ' target="_top"' : ""}>
      <input type="hidden" name="payment_intent" value="${escapeHtml(intent.id)}">
      <input type="hidden" name="source" value="${escapeHtml(request.source)}">
      ${request.parentOrigin ? `<input type="hidden" name="parent_origin" value="${escapeHtml(request.parentOrigin)}">` : ""}
      <div class="actions">
        <button type="submit" name="result" value="complete" class="primary">Complete</button>
        <button type="submit" name="result" value="fail">Fail</button>
      </div>
    </form>`,
    escapeForwarding(request),
  );
}

/**
 * `POST /3d_secure_2/hosted`: the customer's answer, applied as `authenticatePaymentIntent` applies
 * it (same state, same events and webhooks). In a redirect (`redirect_to_url`), the browser then
 * goes back to the `return_url` with `payment_intent`, `payment_intent_client_secret` and
 * `redirect_status`, as Stripe sends it (docs.stripe.com/payments/3d-secure#return-url); in
 * Stripe.js's modal, the page that opened it is told. An answer for an attempt that is no longer
 * pending (answered twice, or a PaymentIntent not in `requires_action`) changes nothing.
 */
export function answerChallenge(control: EmulatorControl, state: EmulatorState, body: string, response: ServerResponse): void {
  const form = new URLSearchParams(body);
  const request = readRequest(form);
  const answer = readAnswer(form.get("result"));
  if (!request || !answer) {
    sendPage(response, 400, "Invalid answer", "<p>Expected payment_intent, source and result (complete or fail).</p>");
    return;
  }
  const intent = state.accounts.findPaymentIntent(request.paymentIntent)?.paymentIntent;
  if (!intent) {
    sendPage(response, 404, "Unknown authentication", "<p>This 3D Secure test page does not belong to any PaymentIntent.</p>");
    return;
  }
  if (pendingChallengeSource(intent) !== request.source) {
    sendPage(response, 409, "Nothing to authenticate", notPending(intent), notifyParent(request, intent));
    return;
  }
  const returnUrl = intent.next_action?.type === "redirect_to_url" ? intent.next_action.redirect_to_url.return_url : null;
  const after = control.authenticatePaymentIntent(intent.id, answer === "complete" ? "succeed" : "fail");
  if (returnUrl !== null) {
    const location = new URL(returnUrl);
    location.searchParams.set("payment_intent", after.id);
    location.searchParams.set("payment_intent_client_secret", after.client_secret);
    location.searchParams.set("redirect_status", redirectStatus(after));
    response.writeHead(303, { Location: location.toString(), "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    response.end(`<!doctype html><p>Returning to <a href="${escapeHtml(location.toString())}">the merchant</a>…</p>`);
    return;
  }
  const succeeded = answer === "complete";
  sendPage(
    response,
    200,
    succeeded ? "Authentication complete" : "Authentication failed",
    `<p>${succeeded ? "You completed" : "You failed"} 3D Secure authentication for this test payment. You can close this window.</p>`,
    notifyParent(request, after),
  );
}

function readAnswer(value: string | null): Answer | null {
  return value === "complete" || value === "fail" ? value : null;
}

function redirectStatus(intent: PaymentIntent): "succeeded" | "failed" {
  return ["succeeded", "processing", "requires_capture"].includes(intent.status) ? "succeeded" : "failed";
}

function notPending(intent: PaymentIntent): string {
  return `<p>Nothing was changed: this 3D Secure attempt was already answered, or is no longer waiting for the
    customer. The PaymentIntent's status is <code>${escapeHtml(intent.status)}</code>.</p>`;
}

function readRequest(values: URLSearchParams): ChallengeRequest | null {
  const paymentIntent = values.get("payment_intent");
  const source = values.get("source");
  if (!paymentIntent || !source || !/^pi_\w+$/.test(paymentIntent) || !/^src_\w+$/.test(source)) return null;
  return { paymentIntent, source, parentOrigin: validOrigin(values.get("parent_origin")) };
}

/** Only an http(s) origin exactly: it is the target of postMessage and goes into a script. */
function validOrigin(value: string | null): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value ? value : null;
  } catch {
    return null;
  }
}

/** Tells the page that shows this one in a frame that the attempt was answered; it reads the PaymentIntent again. */
function notifyParent(request: ChallengeRequest, intent: PaymentIntent): string | undefined {
  if (!request.parentOrigin) return undefined;
  return `if (window.parent !== window) window.parent.postMessage(${scriptJson({
    stripeEmulator: "3ds-answered",
    paymentIntent: intent.id,
  })}, ${scriptJson(request.parentOrigin)});`;
}

/** Escape inside the frame closes Stripe.js's modal too: keys typed here never reach the page. */
function escapeForwarding(request: ChallengeRequest): string | undefined {
  if (!request.parentOrigin) return undefined;
  return `document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && window.parent !== window) window.parent.postMessage(${scriptJson({ stripeEmulator: "3ds-escape" })}, ${scriptJson(request.parentOrigin)});
});`;
}

function sendPage(response: ServerResponse, status: number, title: string, content: string, script?: string): void {
  response.writeHead(status, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
  response.end(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  :root { color-scheme: light; font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #0f172a; }
  body { margin: 0; padding: 24px; background: #fff; line-height: 1.5; }
  main { max-width: 420px; margin: 0 auto; }
  .badge { display: inline-block; padding: 2px 8px; border-radius: 999px; background: #fef3c7; color: #92400e; font-size: 12px; font-weight: 600; }
  h1 { margin: 12px 0 8px; font-size: 20px; }
  p { margin: 0 0 16px; color: #334155; }
  .actions { display: flex; gap: 12px; flex-wrap: wrap; }
  button { flex: 1 1 120px; min-height: 44px; padding: 10px 16px; border: 1px solid #cbd5e1; border-radius: 8px; background: #fff; color: #0f172a; font: inherit; font-weight: 600; cursor: pointer; }
  button.primary { border-color: #4f46e5; background: #4f46e5; color: #fff; }
  button:focus-visible { outline: none; box-shadow: 0 0 0 3px rgba(99, 102, 241, 0.4); }
</style>
</head>
<body>
<main>
  <span class="badge">Test mode · Stripe emulator</span>
  <h1>${escapeHtml(title)}</h1>
  ${content}
</main>
${script ? `<script>\n${script}\n</script>` : ""}
</body>
</html>
`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}
