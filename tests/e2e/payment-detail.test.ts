import { randomUUID } from "node:crypto";
import type { Locator, Page } from "playwright-core";
import { afterEach, describe, expect, inject, it } from "vitest";
import { refundsPath } from "@/lib/routes";
import { queryOnce } from "../../scripts/lib/pg-once";
import { MOBILE_VIEWPORT, screenshot, startBrowserForFile } from "./helpers/browser";
import { answerThreeDSecure, appUrl, payThroughApi, signUp, type Customer } from "./helpers/checkout";
import { paymentRowsOf, type PaymentRow } from "./helpers/database";
import { emulator } from "./helpers/emulator-admin";

const browser = startBrowserForFile();

/** Chromium logs every non-2xx answer: the page itself for a 404, fetch() for a refused refund. */
const NOT_FOUND_LOGGED = /^Failed to load resource: the server responded with a status of 404\b/;
const REFUSED_LOGGED = /^Failed to load resource: the server responded with a status of 400\b/;

/** The e2e global setup's Stripe secret key (tests/e2e/global-setup.ts): the emulator's account of this run. */
const STRIPE_SECRET_KEY = "sk_test_e2e";

afterEach(async () => {
  await emulator.resetFaults();
});

/** Pays through the API and returns the payment's row (the newest of the customer's). */
async function pay(page: Page, customer: Customer, amount: number, paymentMethod = "pm_card_visa"): Promise<PaymentRow> {
  expect(await payThroughApi(page, { amount, currency: "eur", paymentMethod })).toBe(201);
  const [newest] = await paymentRowsOf(customer.userId);
  return newest!;
}

/** The refunds PostgreSQL holds for a payment, oldest first. */
function refundRowsOf(paymentId: string) {
  return queryOnce<{ amount: number; status: string; stripe_refund_id: string }>(
    inject("e2eDatabaseUrl"),
    "SELECT amount, status, stripe_refund_id FROM refunds WHERE payment_id = $1 ORDER BY created_at, id",
    [paymentId],
  );
}

/** The refunds Stripe (the emulator) made of a PaymentIntent, oldest first. */
async function refundsAtStripe(paymentIntentId: string): Promise<Array<{ id: string; amount: number }>> {
  const response = await fetch(`${inject("e2eEmulatorUrl")}/v1/refunds?${new URLSearchParams({ payment_intent: paymentIntentId })}`, {
    headers: { Authorization: `Bearer ${STRIPE_SECRET_KEY}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: Array<{ id: string; amount: number }> }).data.reverse();
}

/** The Idempotency-Key of every refund the page POSTs, in order. */
function recordRefundRequests(page: Page, paymentId: string): string[] {
  const keys: string[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === refundsPath(paymentId)) {
      keys.push(request.headers()["idempotency-key"] ?? "(none)");
    }
  });
  return keys;
}

/** A row of the receipt, as people see it: without the text only screen readers read. */
function receiptDetail(page: Page, term: string): Promise<string> {
  const row = page.locator("dl > div").filter({ has: page.locator("dt", { hasText: new RegExp(`^${term}$`) }) });
  return row.locator("dd").evaluate((dd) => {
    const copy = dd.cloneNode(true) as HTMLElement;
    for (const hidden of copy.querySelectorAll(".sr-only")) hidden.remove();
    return (copy.textContent ?? "").replace(/\s+/g, " ").trim();
  });
}

const refundButton = (page: Page): Locator => page.getByRole("button", { name: /^Refund\b/ });
const announcement = (page: Page): Locator => page.getByRole("status").filter({ hasText: /\S/ });

describe("payment detail page", () => {
  it("shows the receipt, and refunds once on a double click", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page, "/payments");
    const payment = await pay(page, customer, 2_500);
    await page.reload();
    await page.getByRole("link", { name: "View the €25.00 payment" }).click();
    await page.waitForURL(appUrl(`/payments/${payment.id}`));

    await expect(page.getByRole("heading", { level: 1 }).innerText()).resolves.toBe("Payment of €25.00");
    await expect(page.title()).resolves.toBe("Payment · Idempotent payments");
    await expect(receiptDetail(page, "Card")).resolves.toBe("Visa •••• 4242");
    await expect(page.locator("dd", { hasText: "ending in" }).innerText()).resolves.toMatch(/4242/);
    await expect(receiptDetail(page, "PaymentIntent")).resolves.toBe(payment.stripe_payment_intent_id);
    await expect(receiptDetail(page, "Idempotency key")).resolves.toBe(payment.idempotency_key);
    await expect(page.getByText("The card was charged once.").count()).resolves.toBe(1);
    // Stripe's webhooks reach the app on their own time: the timeline shows them once they did.
    await emulator.flushWebhooks();
    await page.reload();
    await page.getByRole("list", { name: "Timeline" }).getByText("Payment succeeded").waitFor();
    await screenshot(page, "payment-detail");

    // A slow provider keeps the first request running while the second click lands.
    const keys = recordRefundRequests(page, payment.id);
    await emulator.setFaults({ latencyMs: 1_000 });
    await expect(page.getByLabel("Amount to refund (EUR)").inputValue()).resolves.toBe("25.00");
    await page.getByRole("button", { name: "Refund €25.00" }).dblclick();
    await announcement(page).getByText("Refunded €25.00.").waitFor();
    await page.getByText("€25.00 (in full)").waitFor();

    expect(keys).toHaveLength(1);
    expect((await refundRowsOf(payment.id)).map((row) => row.amount)).toEqual([2_500]);
    expect((await refundsAtStripe(payment.stripe_payment_intent_id)).map((refund) => refund.amount)).toEqual([2_500]);
    await expect(refundButton(page).count()).resolves.toBe(0); // nothing is left to refund
    await expect(page.getByRole("list", { name: "Refunds" }).getByRole("listitem").allInnerTexts()).resolves.toEqual([
      expect.stringMatching(/^€25\.00\s+Refunded\s+\w{3} \d+, \d{4}, \d\d:\d\d/),
    ]);
    await screenshot(page, "payment-detail-refunded");

    await page.setViewportSize(MOBILE_VIEWPORT);
    await expect(page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).resolves.toBe(0);
    await screenshot(page, "payment-detail-mobile");
  });

  it("retries a refund whose answer was lost with the same key: the server replays it, nothing is refunded twice", async () => {
    const page = await browser.newPage({ allowConsoleErrors: [/net::ERR_CONNECTION_RESET/] });
    const customer = await signUp(page, "/payments");
    const payment = await pay(page, customer, 1_800);
    await page.goto(appUrl(`/payments/${payment.id}`));
    const keys: string[] = [];
    await page.route(`**${refundsPath(payment.id)}`, async (route) => {
      keys.push(route.request().headers()["idempotency-key"] ?? "(none)");
      if (keys.length > 1) return route.continue();
      // The refund reaches the server and is made; the browser never hears back.
      expect((await route.fetch()).status()).toBe(201);
      return route.abort("connectionreset");
    });

    await page.getByRole("button", { name: "Refund €18.00" }).click();
    await announcement(page).getByText("Refunded €18.00. It had already been made by an earlier attempt: it was made once.").waitFor();
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect((await refundRowsOf(payment.id)).map((row) => row.amount)).toEqual([1_800]);
    expect((await refundsAtStripe(payment.stripe_payment_intent_id)).map((refund) => refund.amount)).toEqual([1_800]);
  });

  it("resumes a refund interrupted by a reload with the same key", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page, "/payments");
    const payment = await pay(page, customer, 2_200);
    await page.goto(appUrl(`/payments/${payment.id}`));
    const keys = recordRefundRequests(page, payment.id);
    const before = (await emulator.stats()).requestsByRoute["POST /v1/refunds"] ?? 0;
    await emulator.setFaults({ latencyMs: 3_000 });

    await page.getByRole("button", { name: "Refund €22.00" }).click();
    await expect.poll(async () => (await emulator.stats()).requestsByRoute["POST /v1/refunds"] ?? 0).toBe(before + 1);
    await page.reload(); // the server is now waiting on Stripe
    await page.getByText("Resuming your refund after the reload…").waitFor();
    await announcement(page).getByText(/^Refunded €22\.00\./).waitFor({ timeout: 20_000 });
    await page.getByText("€22.00 (in full)").waitFor();

    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect((await refundRowsOf(payment.id)).map((row) => row.amount)).toEqual([2_200]);
    expect((await refundsAtStripe(payment.stripe_payment_intent_id)).map((refund) => refund.amount)).toEqual([2_200]);
    // The key is forgotten after the final answer: a reload resumes nothing.
    await page.reload();
    await expect(page.evaluate((id) => sessionStorage.getItem(`refund:v1:${id}`), payment.id)).resolves.toBeNull();
  });

  it("refunds part, then the rest; refuses more than is left without refunding anything", async () => {
    const page = await browser.newPage({ allowConsoleErrors: [REFUSED_LOGGED] });
    const customer = await signUp(page, "/payments");
    const payment = await pay(page, customer, 4_000);
    await page.goto(appUrl(`/payments/${payment.id}`));
    const keys = recordRefundRequests(page, payment.id);
    const amount = page.getByLabel("Amount to refund (EUR)");

    await amount.fill("15");
    await page.getByRole("button", { name: "Refund €15.00" }).click();
    await announcement(page).getByText("Refunded €15.00.").waitFor();
    // The page's data is refreshed: what is left is now the field's default.
    await expect.poll(() => amount.inputValue()).toBe("25.00");
    await expect(receiptDetail(page, "Refunded")).resolves.toBe("€15.00");

    await amount.fill("25.01");
    await page.getByRole("button", { name: "Refund €25.01" }).click();
    await page.getByText("At most €25.00 is left to refund.").waitFor();
    await expect(amount.inputValue()).resolves.toBe("25.01");
    expect((await refundRowsOf(payment.id)).map((row) => row.amount)).toEqual([1_500]);
    expect((await refundsAtStripe(payment.stripe_payment_intent_id)).map((refund) => refund.amount)).toEqual([1_500]);
    await screenshot(page, "payment-detail-refund-too-large");

    await amount.fill("25.00");
    await page.getByRole("button", { name: "Refund €25.00" }).click();
    await announcement(page).getByText("Refunded €25.00.").waitFor();
    await page.getByText("€40.00 (in full)").waitFor();

    // A new key for each logical refund; the refused one was a refund of its own.
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(3);
    expect((await refundRowsOf(payment.id)).map((row) => row.amount)).toEqual([1_500, 2_500]);
    expect((await refundsAtStripe(payment.stripe_payment_intent_id)).map((refund) => refund.amount)).toEqual([1_500, 2_500]);
    await expect(page.getByRole("list", { name: "Refunds" }).getByRole("listitem").count()).resolves.toBe(2);
  });

  it("refuses an amount the page cannot read before sending anything", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page, "/payments");
    const payment = await pay(page, customer, 1_000);
    await page.goto(appUrl(`/payments/${payment.id}`));
    const keys = recordRefundRequests(page, payment.id);

    await page.getByLabel("Amount to refund (EUR)").fill("12.345");
    await refundButton(page).click();
    await page.getByText("Enter an amount in EUR with at most 2 decimals, like €25.00.").waitFor();
    await expect(page.getByLabel("Amount to refund (EUR)").getAttribute("aria-invalid")).resolves.toBe("true");
    expect(keys).toEqual([]);
    expect(await refundRowsOf(payment.id)).toEqual([]);
  });

  it("shows a refund that failed after it was made, and a dispute, as Stripe's webhooks report them", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page, "/payments");
    // Stripe's test cards for both (docs.stripe.com/testing): the emulator fails the refund and
    // opens the dispute when told to settle, and tells the app by webhook, as Stripe would.
    const refundFails = await pay(page, customer, 2_000, "pm_card_refundFail");
    await page.goto(appUrl(`/payments/${refundFails.id}`));
    await refundButton(page).click();
    await announcement(page).getByText(/^Refund(ed| of) €20\.00/).waitFor();
    const disputed = await pay(page, customer, 3_000, "pm_card_createDispute");
    await emulator.settle(refundFails.stripe_payment_intent_id);
    await emulator.settle(disputed.stripe_payment_intent_id);
    await emulator.flushWebhooks();

    await page.reload();
    await expect(receiptDetail(page, "Refund failed")).resolves.toBe("€20.00 was not returned to the card");
    await expect(page.getByRole("list", { name: "Refunds" }).innerText()).resolves.toContain("Failed: the money went back to the balance");
    await expect(page.getByRole("button", { name: "Refund €20.00" }).count()).resolves.toBe(1); // the failed refund's amount is refundable again
    await page.getByRole("list", { name: "Timeline" }).getByText("Refund failed").waitFor();

    await page.goto(appUrl(`/payments/${disputed.id}`));
    await expect(receiptDetail(page, "Dispute")).resolves.toBe("awaiting the merchant's response (fraudulent) · €30.00");
    await page.getByRole("list", { name: "Timeline" }).getByText("Dispute opened").waitFor();
    await screenshot(page, "payment-detail-disputed");
  });

  it("answers another user's payment, and an id that names none, with the 404 page", async () => {
    const owner = await browser.newPage();
    const payment = await pay(owner, await signUp(owner, "/payments"), 1_500);

    const page = await browser.newPage({ allowConsoleErrors: [NOT_FOUND_LOGGED] });
    await signUp(page, "/payments");
    for (const id of [payment.id, payment.id.toUpperCase(), randomUUID(), "not-a-payment"]) {
      const response = await page.goto(appUrl(`/payments/${id}`));
      expect(response?.status(), id).toBe(404);
      await expect(page.getByRole("heading", { level: 1 }).innerText()).resolves.toBe("Page not found");
      await expect(page.getByText(payment.stripe_payment_intent_id).count()).resolves.toBe(0);
    }
  });

  it("completes 3-D Secure from the page, or shows why it failed", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page, "/payments");

    const authenticated = await pay(page, customer, 4_550, "pm_card_authenticationRequired");
    expect(authenticated.status).toBe("requires_action");
    await page.goto(appUrl(`/payments/${authenticated.id}`));
    await page.getByText("Authentication required").first().waitFor();
    await page.getByRole("button", { name: "Complete authentication" }).click();
    await answerThreeDSecure(page, "Complete");
    await announcement(page).getByText("Authenticated: the payment succeeded.").waitFor();
    await page.getByText("The card was charged once.").waitFor();
    await expect(page.getByRole("button", { name: "Complete authentication" }).count()).resolves.toBe(0);
    await refundButton(page).waitFor(); // a succeeded payment can be refunded
    expect((await paymentRowsOf(customer.userId))[0]?.status).toBe("succeeded");

    const failed = await pay(page, customer, 1_200, "pm_card_authenticationRequired");
    await page.goto(appUrl(`/payments/${failed.id}`));
    await page.getByRole("button", { name: "Complete authentication" }).click();
    await answerThreeDSecure(page, "Fail");
    await page.getByText("We are unable to authenticate your payment method.", { exact: false }).waitFor();
    await page.getByText("Authentication failed", { exact: true }).waitFor();
    await expect(receiptDetail(page, "Failure code")).resolves.toBe("payment_intent_authentication_failure");
    await expect(refundButton(page).count()).resolves.toBe(0);
    await screenshot(page, "payment-detail-authentication-failed");
    const [row] = await paymentRowsOf(customer.userId);
    expect([row?.status, row?.failure_code]).toEqual(["failed", "payment_intent_authentication_failure"]);
  });
});
