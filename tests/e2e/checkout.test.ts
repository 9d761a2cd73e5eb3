import { describe, expect, it } from "vitest";
import { PAYMENTS_PATH } from "@/lib/routes";
import { MOBILE_VIEWPORT, screenshot, startBrowserForFile } from "./helpers/browser";
import { appUrl, fillCheckout, outcomeDetail, outcomeHeading, payButton, signUp } from "./helpers/checkout";
import { paymentRowsOf } from "./helpers/database";
import { emulator } from "./helpers/emulator-admin";

const browser = startBrowserForFile();

describe("checkout", () => {
  it("signs up in the browser, lands signed in, and offers the checkout", async () => {
    const page = await browser.newPage();
    await page.goto(appUrl("/pay"));
    // Signed out, the checkout sends the customer to sign in and back.
    expect(new URL(page.url()).pathname).toBe("/sign-in");

    const customer = await signUp(page, "/pay");
    await expect(page.getByRole("navigation", { name: "Main" }).innerText()).resolves.toContain(customer.email);
    await expect(page.getByRole("heading", { level: 1 }).innerText()).resolves.toBe("Checkout");
    await expect(payButton(page).innerText()).resolves.toBe("Pay €25.00");
    await expect(page.getByRole("radio", { name: /succeeds/i }).isChecked()).resolves.toBe(true);
    await screenshot(page, "checkout-form");

    // The total follows the form, formatted for the currency.
    await fillCheckout(page, { amount: "1234.5", currency: "gbp" });
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
    await page.keyboard.press("Tab"); // currency
    await page.keyboard.press("Tab"); // the checked test card
    await expect(page.evaluate(() => document.activeElement?.getAttribute("value"))).resolves.toBe("pm_card_visa");
    await screenshot(page, "keyboard-focus");
    await page.keyboard.press("Tab"); // Pay
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe("Pay $12.34");
    await page.keyboard.press("Enter");

    await outcomeHeading(page, "Payment successful").waitFor();
    // Focus moves to the answer, for keyboard and screen-reader users.
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe("outcome-heading");
    await expect(outcomeDetail(page, "Amount")).resolves.toBe("$12.34");
    await expect(outcomeDetail(page, "Replayed")).resolves.toMatch(/^No\b/);
    await screenshot(page, "succeeded");

    const [row, ...others] = await paymentRowsOf(customer.userId);
    expect(others).toEqual([]);
    expect(row).toMatchObject({ status: "succeeded", amount: 1_234 });
    await expect(outcomeDetail(page, "PaymentIntent")).resolves.toBe(row?.stripe_payment_intent_id);
    await expect(outcomeDetail(page, "Idempotency key")).resolves.toBe(row?.idempotency_key);
    const intents = await emulator.paymentIntentsOf(customer.userId);
    expect(intents.map((intent) => [intent.id, intent.status, intent.amount, intent.currency])).toEqual([
      [row?.stripe_payment_intent_id, "succeeded", 1_234, "usd"],
    ]);
  });

  it("shows a declined card as declined, with its decline code", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page);
    await fillCheckout(page, { amount: "20", card: "declined" });
    await payButton(page).click();

    await outcomeHeading(page, "Your card was declined").waitFor();
    await expect(outcomeDetail(page, "Decline code")).resolves.toBe("generic_decline");
    await expect(page.getByRole("region", { name: "Your card was declined" }).innerText()).resolves.toContain("Failed");
    await screenshot(page, "declined");

    const rows = await paymentRowsOf(customer.userId);
    expect(rows.map((row) => [row.status, row.amount])).toEqual([["failed", 2_000]]);
    await expect(emulator.paymentIntentsOf(customer.userId)).resolves.toHaveLength(1);

    // A final answer: the next payment is a new one, with a new key.
    const firstKey = await outcomeDetail(page, "Idempotency key");
    await page.getByRole("button", { name: "New payment" }).click();
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe("amount");
    await fillCheckout(page, { amount: "20", card: "succeeds" });
    await payButton(page).click();
    await outcomeHeading(page, "Payment successful").waitFor();
    expect(await outcomeDetail(page, "Idempotency key")).not.toBe(firstKey);
    await expect(paymentRowsOf(customer.userId)).resolves.toHaveLength(2);
  });

  it("shows a card that needs 3D Secure as authentication required", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page);
    await fillCheckout(page, { amount: "45.50", currency: "chf", card: "needs authentication" });
    await payButton(page).click();

    await outcomeHeading(page, "Authentication required").waitFor();
    await expect(page.getByRole("region", { name: "Authentication required" }).innerText()).resolves.toMatch(/3D Secure/);
    await screenshot(page, "authentication-required");

    const intents = await emulator.paymentIntentsOf(customer.userId);
    expect(intents.map((intent) => intent.status)).toEqual(["requires_action"]);
    await expect(paymentRowsOf(customer.userId)).resolves.toMatchObject([{ status: "requires_action", amount: 4_550 }]);
  });

  it("checks the amount in the browser and sends nothing until it is valid", async () => {
    const page = await browser.newPage();
    let posts = 0;
    page.on("request", (request) => {
      if (request.method() === "POST" && new URL(request.url()).pathname === PAYMENTS_PATH) posts += 1;
    });
    await signUp(page);
    await fillCheckout(page, { amount: "0.10" });
    await payButton(page).click();

    const amount = page.getByLabel("Amount");
    await page.getByText("The minimum is €0.50.").waitFor();
    await expect(amount.getAttribute("aria-invalid")).resolves.toBe("true");
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe("amount");
    await screenshot(page, "amount-error");
    await fillCheckout(page, { amount: "abc" });
    await payButton(page).click();
    await page.getByText(/^Enter an amount in EUR/).waitFor();
    expect(posts).toBe(0);
  });

  it("fits a 375 px wide phone screen", async () => {
    const page = await browser.newPage({ viewport: MOBILE_VIEWPORT });
    await signUp(page);
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await expect(overflow()).resolves.toBe(0);
    await screenshot(page, "mobile-checkout");

    await payButton(page).click();
    await outcomeHeading(page, "Payment successful").waitFor();
    await expect(overflow()).resolves.toBe(0);
    await screenshot(page, "mobile-succeeded");
  });
});
