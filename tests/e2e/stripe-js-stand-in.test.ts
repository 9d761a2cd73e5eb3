import { type Server, createServer } from "node:http";
import type { FrameLocator, Page } from "playwright-core";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { screenshot, startBrowserForFile } from "./helpers/browser";
import { emulator } from "./helpers/emulator-admin";

/**
 * The Stripe emulator's Stripe.js stand-in (tools/stripe-emulator/assets) in a real browser,
 * without the app or React: a plain page loads `<emulator>/v3` as a page would before
 * `loadStripe`, mounts the Payment Element, and pays the way "finalize payments on the server"
 * does (docs.stripe.com/payments/finalize-payments-on-the-server): a ConfirmationToken in the
 * browser, a PaymentIntent created and confirmed with the secret key here, then
 * `stripe.handleNextAction` for 3-D Secure.
 */

// Its own emulator account: pk_test_<suffix> is the publishable key of sk_test_<suffix>.
const PUBLISHABLE_KEY = "pk_test_stand_in_e2e";
const SECRET_KEY = "sk_test_stand_in_e2e";

const browser = startBrowserForFile();
const emulatorUrl = () => inject("e2eEmulatorUrl");

let pageServer: Server;
let pageUrl: string;
let stripe: Stripe;

/** The merchant's page: the stand-in, a form with the Payment Element, and a few hooks for the test. */
function merchantPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Stand-in checkout</title>
<script src="${emulatorUrl()}/v3"></script>
</head>
<body style="font-family: system-ui, sans-serif; max-width: 480px; margin: 32px auto; padding: 0 16px;">
<h1>Checkout</h1>
<form id="checkout"><div id="payment-element"></div><button type="submit">Pay</button></form>
<script>
  const stripe = Stripe(${JSON.stringify(PUBLISHABLE_KEY)});
  const elements = stripe.elements({ mode: "payment", amount: 4200, currency: "usd" });
  const paymentElement = elements.create("payment");
  window.events = [];
  for (const type of ["ready", "change", "focus", "blur", "loaderror"]) paymentElement.on(type, (event) => window.events.push({ type, event }));
  paymentElement.mount("#payment-element");
  window.checkout = {
    isStripe: () => ["elements", "createToken", "createPaymentMethod", "confirmCardPayment"].every((name) => typeof stripe[name] === "function"),
    version: () => Stripe.version,
    tokenBeforeSubmit: () => stripe.createConfirmationToken({ elements }),
    async submitAndCreateToken() {
      const submitted = await elements.submit();
      if (submitted.error) return { submitted };
      return { submitted, created: await stripe.createConfirmationToken({ elements, params: { return_url: location.href } }) };
    },
    handleNextAction: (clientSecret) => stripe.handleNextAction({ clientSecret }),
    unsupported: () => stripe.confirmCardPayment("pi_x_secret_y"),
  };
</script>
</body>
</html>`;
}

beforeAll(async () => {
  pageServer = createServer((_request, response) => {
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(merchantPage());
  });
  await new Promise<void>((resolve) => pageServer.listen(0, "127.0.0.1", resolve));
  const address = pageServer.address();
  if (address === null || typeof address === "string") throw new Error("The page server is not listening");
  pageUrl = `http://127.0.0.1:${address.port}/checkout`;
  const api = new URL(emulatorUrl());
  stripe = new Stripe(SECRET_KEY, { host: api.hostname, port: Number(api.port), protocol: "http", maxNetworkRetries: 0 });
});

afterAll(async () => {
  pageServer.closeAllConnections();
  await new Promise<void>((resolve) => pageServer.close(() => resolve()));
});

function cardFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe[title="Secure payment input frame"]');
}

/** Opens the page and waits for the Payment Element's `ready` event. */
async function openCheckout(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(pageUrl);
  await page.waitForFunction(() => (window as unknown as { events: Array<{ type: string }> }).events.some((event) => event.type === "ready"), null, {
    timeout: 15_000,
  });
  return page;
}

async function typeCard(page: Page, card: { number: string; expiry?: string; cvc?: string; postalCode?: string }): Promise<void> {
  const frame = cardFrame(page);
  await frame.getByLabel("Card number").pressSequentially(card.number);
  await frame.getByLabel("Expiration date").pressSequentially(card.expiry ?? "12 / 34");
  await frame.getByLabel("Security code").pressSequentially(card.cvc ?? "123");
  await frame.getByLabel("Postal code").pressSequentially(card.postalCode ?? "10115");
}

type SubmitResult = {
  submitted: { error?: { type: string; code?: string; message?: string }; selectedPaymentMethod?: string };
  created?: { confirmationToken?: Stripe.ConfirmationToken; error?: { message?: string } };
};

function submitAndCreateToken(page: Page): Promise<SubmitResult> {
  return page.evaluate(() => (window as unknown as { checkout: { submitAndCreateToken(): Promise<SubmitResult> } }).checkout.submitAndCreateToken());
}

async function confirmationTokensCreated(): Promise<number> {
  return (await emulator.stats()).requestsByRoute["POST /v1/confirmation_tokens"] ?? 0;
}

/** The server's part: create and confirm a PaymentIntent with the token, as the app's server does. */
async function createAndConfirm(token: string): Promise<Stripe.PaymentIntent> {
  return stripe.paymentIntents.create({ amount: 4200, currency: "usd", confirm: true, confirmation_token: token, automatic_payment_methods: { enabled: true } });
}

type NextActionResult = {
  paymentIntent?: Stripe.PaymentIntent;
  error?: { type: string; code?: string; message?: string; payment_intent?: Stripe.PaymentIntent };
};

function handleNextAction(page: Page, clientSecret: string): Promise<NextActionResult> {
  return page.evaluate(
    (secret) => (window as unknown as { checkout: { handleNextAction(secret: string): Promise<NextActionResult> } }).checkout.handleNextAction(secret),
    clientSecret,
  );
}

/** A ConfirmationToken for 4000 0027 6000 3184 (3-D Secure on every payment) and its confirmed PaymentIntent. */
async function awaitingAuthentication(page: Page): Promise<Stripe.PaymentIntent> {
  await typeCard(page, { number: "4000 0027 6000 3184" });
  const { created } = await submitAndCreateToken(page);
  const token = created?.confirmationToken?.id;
  if (!token) throw new Error(`No ConfirmationToken: ${JSON.stringify(created)}`);
  const intent = await createAndConfirm(token);
  expect(intent).toMatchObject({ status: "requires_action", next_action: { type: "use_stripe_sdk" } });
  return intent;
}

describe("the Stripe.js stand-in", () => {
  it("is a Stripe.js that react-stripe-js accepts, with the card form in the emulator's frame", async () => {
    const page = await openCheckout();
    const checkout = await page.evaluate(() => {
      const { checkout: hooks } = window as unknown as { checkout: { isStripe(): boolean; version(): unknown } };
      return { isStripe: hooks.isStripe(), version: hooks.version() };
    });
    expect(checkout).toEqual({ isStripe: true, version: 3 });

    const frame = page.locator('iframe[title="Secure payment input frame"]');
    expect(new URL((await frame.getAttribute("src")) ?? "").origin).toBe(emulatorUrl());
    // Cross-origin: the page's script cannot reach into the card form.
    await expect(page.evaluate(() => document.querySelector("iframe")?.contentDocument ?? null)).resolves.toBeNull();
    for (const [label, autocomplete] of [
      ["Card number", "cc-number"],
      ["Expiration date", "cc-exp"],
      ["Security code", "cc-csc"],
      ["Postal code", "postal-code"],
    ] as const) {
      await expect(cardFrame(page).getByLabel(label).getAttribute("autocomplete")).resolves.toBe(autocomplete);
    }
    // The frame is as tall as its form.
    const height = (await frame.boundingBox())?.height ?? 0;
    expect(height).toBeGreaterThan(150);
    expect(height).toBeLessThan(400);

    const unsupported = await page.evaluate(() => (window as unknown as { checkout: { unsupported(): Promise<unknown> } }).checkout.unsupported());
    expect(unsupported).toEqual({
      error: { type: "invalid_request_error", message: "stripe.confirmCardPayment() is not supported by the Stripe emulator's Stripe.js" },
    });
  });

  it("shows Stripe's inline errors on submit, focuses the first, and creates no token", async () => {
    const page = await openCheckout();
    const tokensBefore = await confirmationTokensCreated();
    const frame = cardFrame(page);

    const early = await page.evaluate(() => (window as unknown as { checkout: { tokenBeforeSubmit(): Promise<unknown> } }).checkout.tokenBeforeSubmit());
    expect(early).toMatchObject({ error: { message: expect.stringContaining("elements.submit() must be called before stripe.createConfirmationToken()") } });

    const empty = await submitAndCreateToken(page);
    expect(empty).toEqual({
      submitted: { error: { type: "validation_error", code: "incomplete_number", message: "Your card number is incomplete." } },
    });
    for (const message of [
      "Your card number is incomplete.",
      "Your card's expiration date is incomplete.",
      "Your card's security code is incomplete.",
      "Your postal code is incomplete.",
    ]) {
      await expect(frame.getByText(message).isVisible()).resolves.toBe(true);
    }
    const number = frame.getByLabel("Card number");
    await expect(number.getAttribute("aria-invalid")).resolves.toBe("true");
    await expect(number.evaluate((input) => input === document.activeElement)).resolves.toBe(true);
    await screenshot(page, "stand-in-errors");

    // An error shows once a touched field is left, and follows what is typed.
    await number.pressSequentially("4242 4242 4242 4241");
    await frame.getByText("Your card number is invalid.").waitFor();
    await frame.getByLabel("Expiration date").pressSequentially("01 / 20");
    await frame.getByLabel("Security code").click();
    await frame.getByText("Your card's expiration year is in the past.").waitFor();
    const invalid = await submitAndCreateToken(page);
    expect(invalid.submitted.error).toMatchObject({ type: "validation_error", code: "invalid_number", message: "Your card number is invalid." });
    expect(invalid.created).toBeUndefined();
    expect(await confirmationTokensCreated()).toBe(tokensBefore);
  });

  it("creates a ConfirmationToken from a valid card; the card only ever leaves the frame", async () => {
    const page = await openCheckout();
    const fromPage: string[] = [];
    page.on("request", (request) => {
      if (request.frame() === page.mainFrame()) fromPage.push(`${request.url()} ${request.postData() ?? ""}`);
    });
    await typeCard(page, { number: "4242 4242 4242 4242" });
    await expect(cardFrame(page).getByText("Visa", { exact: true }).isVisible()).resolves.toBe(true);
    // The frame posts each change to the page: the last keystroke's may still be on its way.
    const lastChange = () =>
      page.evaluate(() =>
        (window as unknown as { events: Array<{ type: string; event: unknown }> }).events.filter((entry) => entry.type === "change").at(-1)?.event,
      );
    await expect.poll(lastChange, { timeout: 5_000 }).toEqual({ elementType: "payment", complete: true, empty: false, collapsed: false, value: { type: "card" } });

    const result = await submitAndCreateToken(page);

    expect(result.submitted).toEqual({ selectedPaymentMethod: "card" });
    const token = result.created?.confirmationToken;
    expect(token).toMatchObject({
      object: "confirmation_token",
      livemode: false,
      use_stripe_sdk: true,
      return_url: pageUrl,
      payment_method_preview: { type: "card", card: { brand: "visa", last4: "4242", exp_month: 12, exp_year: 2034 }, billing_details: { address: { postal_code: "10115" } } },
    });
    expect(await stripe.confirmationTokens.retrieve(token?.id ?? "")).toMatchObject({ id: token?.id, payment_intent: null });
    expect(fromPage.filter((entry) => entry.includes("4242424242424242"))).toEqual([]);

    const paid = await createAndConfirm(token?.id ?? "");
    expect(paid).toMatchObject({ status: "succeeded", amount_received: 4200 });
  });

  it("handleNextAction shows the 3-D Secure challenge in a dialog; Complete pays", async () => {
    const page = await openCheckout();
    const intent = await awaitingAuthentication(page);

    const result = handleNextAction(page, intent.client_secret ?? "");
    const dialog = page.getByRole("dialog", { name: "Confirm your payment" });
    const challenge = dialog.frameLocator('iframe[title="3D Secure authentication frame"]');
    await challenge.getByRole("heading", { name: "3D Secure 2 Test Page" }).waitFor({ timeout: 15_000 });
    await expect(dialog.getAttribute("aria-modal")).resolves.toBe("true");
    await expect(dialog.evaluate((node) => node.contains(document.activeElement))).resolves.toBe(true);
    await screenshot(page, "stand-in-challenge");
    await challenge.getByRole("button", { name: "Complete", exact: true }).click();

    const answered = await result;
    expect(answered.error).toBeUndefined();
    expect(answered.paymentIntent).toMatchObject({ id: intent.id, status: "succeeded", next_action: null });
    await expect(page.getByRole("dialog").count()).resolves.toBe(0);
    expect(await stripe.paymentIntents.retrieve(intent.id)).toMatchObject({ status: "succeeded", amount_received: 4200 });

    // Nothing is left to handle: Stripe.js answers an error, and nothing changes.
    const again = await handleNextAction(page, intent.client_secret ?? "");
    expect(again.error).toMatchObject({ type: "invalid_request_error", code: "payment_intent_unexpected_state" });
  });

  it("handleNextAction resolves Stripe.js's authentication failure after Fail", async () => {
    const page = await openCheckout();
    const intent = await awaitingAuthentication(page);

    const result = handleNextAction(page, intent.client_secret ?? "");
    await page.getByRole("dialog").frameLocator("iframe").getByRole("button", { name: "Fail", exact: true }).click();

    const answered = await result;
    expect(answered.paymentIntent).toBeUndefined();
    expect(answered.error).toMatchObject({
      type: "invalid_request_error",
      code: "payment_intent_authentication_failure",
      message: "We are unable to authenticate your payment method. Please choose a different payment method and try again.",
      payment_intent: { id: intent.id, status: "requires_payment_method" },
    });
    await expect(page.getByRole("dialog").count()).resolves.toBe(0);
    expect(await stripe.paymentIntents.retrieve(intent.id)).toMatchObject({
      status: "requires_payment_method",
      last_payment_error: { code: "payment_intent_authentication_failure" },
    });
  });

  it("closing the dialog with Escape fails the authentication, as on Stripe", async () => {
    const page = await openCheckout();
    const intent = await awaitingAuthentication(page);

    const result = handleNextAction(page, intent.client_secret ?? "");
    const challenge = page.getByRole("dialog").frameLocator("iframe");
    // Escape pressed inside the challenge frame reaches the dialog too.
    await challenge.getByRole("button", { name: "Complete", exact: true }).focus();
    await page.keyboard.press("Escape");

    const answered = await result;
    expect(answered.error).toMatchObject({ code: "payment_intent_authentication_failure" });
    await expect(page.getByRole("dialog").count()).resolves.toBe(0);
    expect((await stripe.paymentIntents.retrieve(intent.id)).status).toBe("requires_payment_method");
  });
});
