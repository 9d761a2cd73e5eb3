import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { PAYMENTS_PATH } from "@/lib/routes";
import { MOBILE_VIEWPORT, screenshot, startBrowserForFile } from "./helpers/browser";
import {
  answerThreeDSecure,
  appUrl,
  fillCheckout,
  outcomeDetail,
  outcomeHeading,
  paymentElement,
  payButton,
  signUp,
  typeCard,
  type Card,
} from "./helpers/checkout";
import { paymentRowsOf } from "./helpers/database";
import { emulator } from "./helpers/emulator-admin";

const browser = startBrowserForFile();

/** Counts what leaves the page for our API and what reaches Stripe from the Payment Element. */
async function recordTraffic(page: Page) {
  const sent = { payments: 0 };
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === PAYMENTS_PATH) sent.payments += 1;
  });
  const tokensBefore = await confirmationTokensCreated();
  return { sent, tokensCreated: async () => (await confirmationTokensCreated()) - tokensBefore };
}

async function confirmationTokensCreated(): Promise<number> {
  return (await emulator.stats()).requestsByRoute["POST /v1/confirmation_tokens"] ?? 0;
}

/** The status badge of the newest row of the payment history. */
async function newestHistoryRow(page: Page): Promise<string> {
  await page.goto(appUrl("/payments"));
  return page.getByRole("listitem").first().innerText();
}

describe("checkout with the Payment Element", () => {
  it("signs up in the browser, lands signed in, and offers the checkout with a card form", async () => {
    const page = await browser.newPage();
    await page.goto(appUrl("/pay"));
    // Signed out, the checkout sends the customer to sign in and back.
    expect(new URL(page.url()).pathname).toBe("/sign-in");

    await signUp(page, "/pay");
    await expect(page.getByRole("heading", { level: 1 }).innerText()).resolves.toBe("Checkout");
    await expect(payButton(page).innerText()).resolves.toBe("Pay €25.00");
    await paymentElement(page).getByLabel("Card number").waitFor();
    await screenshot(page, "checkout-form");

    // The total follows the form, formatted for the currency.
    await page.getByLabel("Amount").fill("1234.5");
    await page.getByLabel("Currency").selectOption("gbp");
    await expect(payButton(page).innerText()).resolves.toBe("Pay £1,234.50");
    await expect(page.getByRole("complementary", { name: "Order summary" }).innerText()).resolves.toContain("£1,234.50");
  });

  it("pays with the keyboard alone and shows the payment succeeded", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page);
    await page.getByLabel("Currency").selectOption("usd");
    await page.getByLabel("Amount").focus();
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type("12.34");
    await typeCard(page, { number: "4242424242424242" });
    await screenshot(page, "card-typed");
    await page.getByLabel("Amount").focus();
    await page.keyboard.press("Enter");

    await outcomeHeading(page, "Payment successful").waitFor();
    // Focus moves to the answer, for keyboard and screen-reader users.
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe("outcome-heading");
    await expect(outcomeDetail(page, "Amount")).resolves.toBe("$12.34");
    await expect(outcomeDetail(page, "Replayed")).resolves.toMatch(/^No\b/);
    await screenshot(page, "succeeded");

    const [row, ...others] = await paymentRowsOf(customer.userId);
    expect(others).toEqual([]);
    expect(row).toMatchObject({ status: "succeeded", amount: 1_234, card_brand: "visa", card_last4: "4242" });
    await expect(outcomeDetail(page, "PaymentIntent")).resolves.toBe(row?.stripe_payment_intent_id);
    await expect(outcomeDetail(page, "Idempotency key")).resolves.toBe(row?.idempotency_key);
    const intents = await emulator.paymentIntentsOf(customer.userId);
    expect(intents.map((intent) => [intent.id, intent.status, intent.amount, intent.currency])).toEqual([
      [row?.stripe_payment_intent_id, "succeeded", 1_234, "usd"],
    ]);
  });

  it.each<[Card, { status: string; brand: string; last4: string; failureCode: string | null; heading: string }]>([
    ["succeeds", { status: "succeeded", brand: "visa", last4: "4242", failureCode: null, heading: "Payment successful" }],
    ["mastercard", { status: "succeeded", brand: "mastercard", last4: "4444", failureCode: null, heading: "Payment successful" }],
    ["amex", { status: "succeeded", brand: "amex", last4: "0005", failureCode: null, heading: "Payment successful" }],
    ["declined", { status: "failed", brand: "visa", last4: "0002", failureCode: "generic_decline", heading: "Payment declined" }],
    ["insufficient funds", { status: "failed", brand: "visa", last4: "9995", failureCode: "insufficient_funds", heading: "Payment declined" }],
  ])("types the test card that %s and records what Stripe answered", async (card, expected) => {
    const page = await browser.newPage();
    const customer = await signUp(page);
    await fillCheckout(page, { amount: "20", card });
    await payButton(page).click();

    await outcomeHeading(page, expected.heading).waitFor();
    await screenshot(page, `card-${card.replaceAll(" ", "-")}`);
    const rows = await paymentRowsOf(customer.userId);
    expect(rows.map((row) => [row.status, row.amount, row.card_brand, row.card_last4, row.failure_code])).toEqual([
      [expected.status, 2_000, expected.brand, expected.last4, expected.failureCode],
    ]);
    await expect(emulator.paymentIntentsOf(customer.userId)).resolves.toHaveLength(1);
  });

  it("a declined card ends the payment: the next one is new, with a new key and a new card token", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page);
    await fillCheckout(page, { amount: "20", card: "declined" });
    await payButton(page).click();
    await outcomeHeading(page, "Payment declined").waitFor();
    await expect(outcomeDetail(page, "Decline code")).resolves.toBe("generic_decline");
    const firstKey = await outcomeDetail(page, "Idempotency key");

    await page.getByRole("button", { name: "New payment" }).click();
    await fillCheckout(page, { amount: "20", card: "succeeds" });
    await payButton(page).click();
    await outcomeHeading(page, "Payment successful").waitFor();
    expect(await outcomeDetail(page, "Idempotency key")).not.toBe(firstKey);
    await expect(paymentRowsOf(customer.userId)).resolves.toHaveLength(2);
  });

  it.each([
    ["Complete", "succeeded", null, "Payment successful", /Succeeded/],
    ["Fail", "failed", "payment_intent_authentication_failure", "Payment declined", /Authentication failed/],
  ] as const)("3-D Secure answered %s: the payment %s, in the history too", async (answer, status, failureCode, heading, badge) => {
    const page = await browser.newPage();
    const customer = await signUp(page);
    await fillCheckout(page, { amount: "45.50", currency: "chf", card: "needs authentication" });
    await payButton(page).click();

    await page.getByRole("dialog").waitFor();
    await screenshot(page, `three-d-secure-challenge`);
    await answerThreeDSecure(page, answer);
    await outcomeHeading(page, heading).waitFor({ timeout: 20_000 });
    await screenshot(page, `three-d-secure-${answer.toLowerCase()}`);

    const intents = await emulator.paymentIntentsOf(customer.userId);
    expect(intents.map((intent) => intent.status)).toEqual([status === "succeeded" ? "succeeded" : "requires_payment_method"]);
    await expect(paymentRowsOf(customer.userId)).resolves.toMatchObject([{ status, amount: 4_550, failure_code: failureCode }]);
    await expect(newestHistoryRow(page)).resolves.toMatch(badge);
  });

  it.each([
    ["an invalid card number", { number: "4242 4242 4242 4241" }, "Your card number is invalid."],
    ["an incomplete card number", { number: "4242 4242" }, "Your card number is incomplete."],
    ["an expiry date in the past", { number: "4242424242424242", expiry: "01 / 20" }, /Your card's expiration (year|date) is in the past\./],
    ["a missing security code", { number: "4242424242424242", cvc: "" }, "Your card's security code is incomplete."],
  ] as const)("shows the element's inline error for %s and sends nothing", async (_what, fields, message) => {
    const page = await browser.newPage();
    await signUp(page);
    const traffic = await recordTraffic(page);
    await typeCard(page, fields);
    await payButton(page).click();

    await paymentElement(page).getByText(message).waitFor();
    await expect(payButton(page).isEnabled()).resolves.toBe(true);
    expect(traffic.sent.payments).toBe(0);
    await expect(traffic.tokensCreated()).resolves.toBe(0);
  });

  it("checks the amount in the browser and sends nothing until it is valid", async () => {
    const page = await browser.newPage();
    await signUp(page);
    const traffic = await recordTraffic(page);
    await fillCheckout(page, { amount: "0.10" });
    await payButton(page).click();

    const amount = page.getByLabel("Amount");
    await page.getByText("The minimum is €0.50.").waitFor();
    await expect(amount.getAttribute("aria-invalid")).resolves.toBe("true");
    await screenshot(page, "amount-error");
    await page.getByLabel("Amount").fill("abc");
    await payButton(page).click();
    await page.getByText(/^Enter an amount in EUR/).waitFor();
    expect(traffic.sent.payments).toBe(0);
    await expect(traffic.tokensCreated()).resolves.toBe(0);
  });

  it("fits a 375 px wide phone screen, 3-D Secure included", async () => {
    const page = await browser.newPage({ viewport: MOBILE_VIEWPORT });
    await signUp(page);
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await paymentElement(page).getByLabel("Card number").waitFor();
    await expect(overflow()).resolves.toBe(0);
    await screenshot(page, "mobile-checkout");

    await fillCheckout(page, { amount: "25", card: "needs authentication" });
    await payButton(page).click();
    await page.getByRole("dialog").waitFor();
    await screenshot(page, "mobile-three-d-secure");
    await answerThreeDSecure(page, "Complete");
    await outcomeHeading(page, "Payment successful").waitFor({ timeout: 20_000 });
    await expect(overflow()).resolves.toBe(0);
    await screenshot(page, "mobile-succeeded");
  });
});
