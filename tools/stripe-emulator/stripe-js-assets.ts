import { readFileSync } from "node:fs";

// The Stripe.js stand-in and its card frame are plain browser scripts (assets/*.js, ES2020, no
// build step), read once when the emulator module loads.
const STRIPE_JS = readFileSync(new URL("./assets/stripe-js.js", import.meta.url), "utf8");
const PAYMENT_FRAME_JS = readFileSync(new URL("./assets/payment-frame.js", import.meta.url), "utf8");

const RELEASE_PLACEHOLDER = '"__STRIPE_JS_RELEASE__"';

/**
 * The stand-in as served for a release: `3` at `/v3`, a release train's name (e.g. "endive") at
 * `/<train>/stripe.js`, as js.stripe.com names its scripts; `Stripe.version` reports it.
 */
export function stripeJsScript(release: number | string): string {
  return STRIPE_JS.replace(RELEASE_PLACEHOLDER, JSON.stringify(release));
}

export function paymentFrameScript(): string {
  return PAYMENT_FRAME_JS;
}

/**
 * The Payment Element's card form. Plain and neutral so that it sits well on a Tailwind page:
 * system font, 1px slate borders, rounded corners, an indigo focus ring, red error text; two
 * columns down to 320px wide, one below that.
 */
export function paymentFrameHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Secure payment input frame</title>
<style>
  :root { color-scheme: light; font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #0f172a; }
  html, body { margin: 0; background: transparent; }
  body { padding: 4px; }
  form { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
  .field { display: flex; flex-direction: column; gap: 6px; min-width: 0; }
  .wide { grid-column: 1 / -1; }
  label { font-size: 14px; font-weight: 500; line-height: 20px; color: #334155; }
  .control { position: relative; }
  input {
    box-sizing: border-box; width: 100%; height: 42px; margin: 0; padding: 8px 12px;
    border: 1px solid #cbd5e1; border-radius: 8px; background: #fff; color: #0f172a;
    font: inherit; font-size: 16px; line-height: 24px; box-shadow: 0 1px 2px rgba(15, 23, 42, 0.05);
    transition: border-color 0.15s, box-shadow 0.15s;
  }
  input::placeholder { color: #94a3b8; }
  input:focus { outline: none; border-color: #6366f1; box-shadow: 0 0 0 3px rgba(99, 102, 241, 0.3); }
  input[aria-invalid="true"] { border-color: #dc2626; }
  input[aria-invalid="true"]:focus { box-shadow: 0 0 0 3px rgba(220, 38, 38, 0.25); }
  .brand {
    position: absolute; top: 50%; right: 12px; transform: translateY(-50%); pointer-events: none;
    font-size: 12px; font-weight: 600; letter-spacing: 0.02em; color: #4f46e5;
  }
  .error { margin: 0; font-size: 14px; line-height: 20px; color: #dc2626; }
  .error:empty { display: none; }
  #frame-error { margin: 0; font-size: 14px; color: #dc2626; }
  #frame-error:empty { display: none; }
  @media (max-width: 300px) { form { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<p id="frame-error" role="alert"></p>
<form id="card-form" novalidate>
  <div class="field wide">
    <label for="number">Card number</label>
    <div class="control">
      <input id="number" name="number" type="text" inputmode="numeric" autocomplete="cc-number" autocorrect="off" spellcheck="false" placeholder="1234 1234 1234 1234" aria-describedby="number-brand number-error">
      <span id="number-brand" class="brand" aria-live="polite"></span>
    </div>
    <p id="number-error" class="error" role="alert"></p>
  </div>
  <div class="field">
    <label for="expiry">Expiration date</label>
    <input id="expiry" name="expiry" type="text" inputmode="numeric" autocomplete="cc-exp" autocorrect="off" spellcheck="false" placeholder="MM / YY" maxlength="7" aria-describedby="expiry-error">
    <p id="expiry-error" class="error" role="alert"></p>
  </div>
  <div class="field">
    <label for="cvc">Security code</label>
    <input id="cvc" name="cvc" type="text" inputmode="numeric" autocomplete="cc-csc" autocorrect="off" spellcheck="false" placeholder="123" maxlength="3" aria-describedby="cvc-error">
    <p id="cvc-error" class="error" role="alert"></p>
  </div>
  <div class="field wide">
    <label for="postal">Postal code</label>
    <input id="postal" name="postal" type="text" autocomplete="postal-code" autocorrect="off" spellcheck="false" placeholder="12345" maxlength="10" aria-describedby="postal-error">
    <p id="postal-error" class="error" role="alert"></p>
  </div>
</form>
<script src="payment-frame.js"></script>
</body>
</html>
`;
}
