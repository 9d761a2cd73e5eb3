import type { Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { PAYMENTS_PATH } from "@/lib/routes";
import { screenshot, startBrowserForFile } from "./helpers/browser";
import { fillCheckout, outcomeDetail, outcomeHeading, payButton, signUp, type Customer } from "./helpers/checkout";
import { paymentRowsOf } from "./helpers/database";
import { emulator } from "./helpers/emulator-admin";

const browser = startBrowserForFile();

afterEach(async () => {
  await emulator.resetFaults();
});

/** The Idempotency-Key of every POST /api/payments the page sends, in order. */
function recordPaymentRequests(page: Page): string[] {
  const keys: string[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === PAYMENTS_PATH) {
      keys.push(request.headers()["idempotency-key"] ?? "(none)");
    }
  });
  return keys;
}

/** Exactly one PaymentIntent at Stripe and one payment row, both for the key the page used. */
async function expectExactlyOnePayment(customer: Customer, key: string | undefined) {
  const intents = await emulator.paymentIntentsOf(customer.userId);
  expect(intents, "PaymentIntents in the emulator").toHaveLength(1);
  const rows = await paymentRowsOf(customer.userId);
  expect(rows.map((row) => [row.stripe_payment_intent_id, row.status, row.idempotency_key])).toEqual([
    [intents[0]?.id, "succeeded", key],
  ]);
}

/** Bounded wait until Stripe has received `count` PaymentIntent creations in all. */
async function waitForStripeCreates(count: number) {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const stats = await emulator.stats();
    if ((stats.requestsByRoute["POST /v1/payment_intents"] ?? 0) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Stripe did not receive ${count} PaymentIntent creations in 10 s`);
}

describe("one payment, whatever the customer does", () => {
  it("a double click on Pay sends one request and creates one PaymentIntent", async () => {
    const page = await browser.newPage();
    const keys = recordPaymentRequests(page);
    const customer = await signUp(page);
    // A slow provider keeps the first request running while the second click lands.
    await emulator.setFaults({ latencyMs: 1_000 });
    await fillCheckout(page, { amount: "18.00" });
    await payButton(page).dblclick();

    await outcomeHeading(page, "Payment successful").waitFor();
    expect(keys).toHaveLength(1);
    await expectExactlyOnePayment(customer, keys[0]);
  });

  it("Enter repeats and submits in the same instant send one request", async () => {
    const page = await browser.newPage();
    const keys = recordPaymentRequests(page);
    const customer = await signUp(page);
    await emulator.setFaults({ latencyMs: 1_000 });
    await fillCheckout(page, { amount: "19.00" });
    await page.getByLabel("Amount").focus();
    // Three submits in one task, before React can re-render the disabled button; then the
    // Enter key three times more, as a held key repeats.
    await page.evaluate(() => {
      const form = document.querySelector<HTMLFormElement>("form");
      for (let i = 0; i < 3; i++) form?.requestSubmit();
    });
    for (let i = 0; i < 3; i++) await page.keyboard.press("Enter");

    await outcomeHeading(page, "Payment successful").waitFor();
    expect(keys).toHaveLength(1);
    await expectExactlyOnePayment(customer, keys[0]);
  });

  it("a response lost on the network is retried with the same key and replayed, not paid twice", async () => {
    const page = await browser.newPage({ allowConsoleErrors: [/net::ERR_CONNECTION_RESET/] });
    const customer = await signUp(page);
    const keys: string[] = [];
    const firstAnswer: { status?: number } = {};
    await page.route(`**${PAYMENTS_PATH}`, async (route) => {
      const request = route.request();
      if (request.method() !== "POST") return route.continue();
      keys.push(request.headers()["idempotency-key"] ?? "(none)");
      if (keys.length === 1) {
        // The request reaches the server and the payment happens; the browser never hears back.
        firstAnswer.status = (await route.fetch()).status();
        return route.abort("connectionreset");
      }
      // Slow enough for the "Retrying…" state to be seen and photographed.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      return route.continue();
    });

    await fillCheckout(page, { amount: "27.00" });
    await payButton(page).click();
    await page.getByText(/^Retrying… attempt 2 of 6/).waitFor();
    await expect(payButton(page).isVisible()).resolves.toBe(false); // the button reads "Retrying…" now
    await screenshot(page, "retrying");

    await outcomeHeading(page, "Payment successful").waitFor();
    expect(firstAnswer.status, "the first, lost answer").toBe(201);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    await expect(outcomeDetail(page, "Replayed")).resolves.toMatch(/^Yes\b/);
    await expect(outcomeDetail(page, "Idempotency key")).resolves.toBe(keys[0]);
    await screenshot(page, "network-failure-replayed");
    await expectExactlyOnePayment(customer, keys[0]);
  });

  it("a reload while the payment is in flight resumes it with the same key", async () => {
    const page = await browser.newPage();
    const keys = recordPaymentRequests(page);
    const customer = await signUp(page);
    const before = (await emulator.stats()).requestsByRoute["POST /v1/payment_intents"] ?? 0;
    await emulator.setFaults({ latencyMs: 3_000 });
    await fillCheckout(page, { amount: "33.00" });
    await payButton(page).click();
    await waitForStripeCreates(before + 1); // the server is now waiting on Stripe
    await page.reload();

    await page.getByText("Resuming your payment after the reload…").waitFor();
    await outcomeHeading(page, "Payment successful").waitFor({ timeout: 20_000 });
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    await expect(outcomeDetail(page, "Replayed")).resolves.toMatch(/^Yes\b/);
    await expectExactlyOnePayment(customer, keys[0]);
  });
});
