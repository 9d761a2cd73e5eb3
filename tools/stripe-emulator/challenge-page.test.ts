import type Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type StripeEmulator, startStripeEmulator } from "./index";
import {
  PUBLISHABLE_KEY,
  type WebhookReceiver,
  cardParams,
  confirmationTokenFor,
  field,
  formBody,
  rawRequest,
  startWebhookReceiver,
  stripeFor,
} from "./test-helpers";

const SECRET = "whsec_challenge_suite";
const PARENT = "http://shop.example:3000";

let emulator: StripeEmulator;
let stripe: Stripe;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  emulator = await startStripeEmulator({ webhookUrl: receiver.url, webhookSecret: SECRET, asyncSettleMs: null });
  stripe = stripeFor(emulator);
});

afterEach(async () => {
  await emulator.flushWebhooks();
});

afterAll(async () => {
  await emulator.close();
  await receiver.close();
});

/** A PaymentIntent waiting for 3D Secure, shown by Stripe.js (use_stripe_sdk), and its challenge page. */
async function awaitingStripeJs(): Promise<{ intent: Stripe.PaymentIntent; challenge: URL }> {
  const token = await confirmationTokenFor(emulator, "4000002760003184", { return_url: "https://shop.example/return" });
  const intent = await stripe.paymentIntents.create({ amount: 4200, currency: "usd", confirm: true, confirmation_token: token });
  const challenge = new URL(String(field(intent.next_action, "use_stripe_sdk", "stripe_js")));
  // What the stand-in Stripe.js adds when it frames the page.
  challenge.searchParams.set("parent_origin", PARENT);
  return { intent, challenge };
}

/** A PaymentIntent waiting for 3D Secure by a redirect of the whole page. */
async function awaitingRedirect(returnUrl: string): Promise<{ intent: Stripe.PaymentIntent; challenge: URL }> {
  const created = await rawRequest(emulator, "POST", "/v1/payment_methods", {
    apiKey: PUBLISHABLE_KEY,
    body: formBody({ type: "card", card: cardParams("4000000000003220") }),
  });
  const intent = await stripe.paymentIntents.create({
    amount: 4200,
    currency: "usd",
    confirm: true,
    payment_method: String(field(created.json, "id")),
    return_url: returnUrl,
  });
  return { intent, challenge: new URL(String(field(intent.next_action, "redirect_to_url", "url"))) };
}

/** The form the challenge page posts when the customer presses Complete or Fail. */
function answer(challenge: URL, result: string): Promise<Response> {
  const body = new URLSearchParams({
    payment_intent: challenge.searchParams.get("payment_intent") ?? "",
    source: challenge.searchParams.get("source") ?? "",
    result,
  });
  const parent = challenge.searchParams.get("parent_origin");
  if (parent) body.set("parent_origin", parent);
  return fetch(`${emulator.url}/3d_secure_2/hosted`, { method: "POST", body, redirect: "manual" });
}

function eventTypesOf(intentId: string): string[] {
  return emulator
    .events()
    .filter((event) => event.data.object.id === intentId || event.data.object.payment_intent === intentId)
    .map((event) => event.type)
    .reverse();
}

function deliveredTypesOf(intentId: string): string[] {
  return receiver.received
    .map((delivery) => stripe.webhooks.constructEvent(delivery.body, delivery.signature, SECRET))
    .filter((event) => {
      const object = event.data.object as { id?: string; payment_intent?: string };
      return object.id === intentId || object.payment_intent === intentId;
    })
    .map((event) => event.type);
}

describe("the 3D Secure challenge page", () => {
  it("shows Stripe's test page with Complete and Fail for a pending attempt", async () => {
    const { challenge } = await awaitingStripeJs();

    const page = await fetch(challenge);
    const html = await page.text();

    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(html).toContain("<h1>3D Secure 2 Test Page</h1>");
    expect(html).toContain("$42.00");
    expect(html).toMatch(/<button type="submit" name="result" value="complete"[^>]*>Complete<\/button>/);
    expect(html).toMatch(/<button type="submit" name="result" value="fail"[^>]*>Fail<\/button>/);
    // Escape in the frame is passed on to the page that shows it.
    expect(html).toContain(`"3ds-escape"`);
    expect(html).toContain(JSON.stringify(PARENT));
  });

  it("Complete pays, with the events and webhooks authenticatePaymentIntent sends, and tells the page", async () => {
    const { intent, challenge } = await awaitingStripeJs();

    const response = await answer(challenge, "complete");
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(html).toContain("Authentication complete");
    expect(html).toContain(`window.parent.postMessage({"stripeEmulator":"3ds-answered","paymentIntent":"${intent.id}"}, "${PARENT}")`);
    expect(await stripe.paymentIntents.retrieve(intent.id)).toMatchObject({ status: "succeeded", next_action: null, amount_received: 4200 });
    const expected = ["payment_intent.created", "payment_intent.requires_action", "charge.succeeded", "payment_intent.succeeded"];
    expect(eventTypesOf(intent.id)).toEqual(expected);
    await emulator.flushWebhooks();
    expect(deliveredTypesOf(intent.id)).toEqual(expected);
  });

  it("Fail sends the PaymentIntent back to requires_payment_method with Stripe's authentication failure", async () => {
    const { intent, challenge } = await awaitingStripeJs();

    const response = await answer(challenge, "fail");

    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Authentication failed");
    const failed = await stripe.paymentIntents.retrieve(intent.id);
    expect(failed).toMatchObject({
      status: "requires_payment_method",
      payment_method: null,
      next_action: null,
      last_payment_error: {
        type: "invalid_request_error",
        code: "payment_intent_authentication_failure",
        message:
          "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
        payment_method: { card: { last4: "3184" } },
      },
    });
    await emulator.flushWebhooks();
    expect(deliveredTypesOf(intent.id)).toEqual(["payment_intent.created", "payment_intent.requires_action", "payment_intent.payment_failed"]);
  });

  it("changes nothing when answered twice, or after the admin endpoint answered", async () => {
    const { intent, challenge } = await awaitingStripeJs();
    expect((await answer(challenge, "complete")).status).toBe(200);
    const eventsBefore = eventTypesOf(intent.id);

    for (const result of ["complete", "fail"]) {
      const again = await answer(challenge, result);
      const html = await again.text();
      expect(again.status).toBe(409);
      expect(html).toContain("Nothing was changed");
      expect(html).toContain("<code>succeeded</code>");
    }
    expect((await fetch(challenge)).status).toBe(409);
    expect(eventTypesOf(intent.id)).toEqual(eventsBefore);
    expect((await stripe.paymentIntents.retrieve(intent.id)).status).toBe("succeeded");

    const other = await awaitingStripeJs();
    emulator.authenticatePaymentIntent(other.intent.id, "fail");
    expect((await answer(other.challenge, "complete")).status).toBe(409);
    expect((await stripe.paymentIntents.retrieve(other.intent.id)).status).toBe("requires_payment_method");
  });

  it("only answers the attempt it was opened for", async () => {
    const { intent, challenge } = await awaitingStripeJs();
    const forged = new URL(challenge);
    forged.searchParams.set("source", "src_forged");

    expect((await answer(forged, "complete")).status).toBe(409);
    expect((await stripe.paymentIntents.retrieve(intent.id)).status).toBe("requires_action");

    const unknown = new URL(challenge);
    unknown.searchParams.set("payment_intent", "pi_unknown");
    expect((await answer(unknown, "complete")).status).toBe(404);
    expect((await fetch(unknown)).status).toBe(404);
    expect((await answer(challenge, "maybe")).status).toBe(400);
  });

  it("never writes an origin it was not given as one into its script", async () => {
    const { challenge } = await awaitingStripeJs();
    challenge.searchParams.set("parent_origin", 'http://evil.example/"</script><script>alert(1)</script>');

    const html = await (await fetch(challenge)).text();

    expect(html).not.toContain("alert(1)");
    expect(html).not.toContain("3ds-escape");
  });
});

describe("the challenge page in a redirect (redirect_to_url)", () => {
  it("sends the browser back to the return_url with the PaymentIntent and redirect_status=succeeded", async () => {
    const { intent, challenge } = await awaitingRedirect("https://shop.example/return?order=42");
    const page = await (await fetch(challenge)).text();
    // In a redirect the page is the top window; its form navigates it.
    expect(page).toContain('target="_top"');

    const response = await answer(challenge, "complete");

    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location") ?? "");
    expect(`${location.origin}${location.pathname}`).toBe("https://shop.example/return");
    expect(Object.fromEntries(location.searchParams)).toEqual({
      order: "42",
      payment_intent: intent.id,
      payment_intent_client_secret: intent.client_secret,
      redirect_status: "succeeded",
    });
    expect((await stripe.paymentIntents.retrieve(intent.id)).status).toBe("succeeded");
  });

  it("says redirect_status=failed after Fail", async () => {
    const { intent, challenge } = await awaitingRedirect("https://shop.example/return");

    const response = await answer(challenge, "fail");

    expect(response.status).toBe(303);
    const location = new URL(response.headers.get("location") ?? "");
    expect(location.searchParams.get("redirect_status")).toBe("failed");
    expect(location.searchParams.get("payment_intent")).toBe(intent.id);
    expect((await stripe.paymentIntents.retrieve(intent.id)).last_payment_error?.code).toBe("payment_intent_authentication_failure");

    const twice = await answer(challenge, "complete");
    expect(twice.status).toBe(409);
    expect(twice.headers.get("location")).toBeNull();
  });
});
