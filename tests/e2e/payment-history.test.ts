import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { refundsPath } from "@/lib/routes";
import { MOBILE_VIEWPORT, screenshot, startBrowserForFile } from "./helpers/browser";
import { appUrl, fillCheckout, outcomeHeading, payButton, payThroughApi, sameOrigin, signUp, type Card } from "./helpers/checkout";
import { markRefunded, paymentRowsOf } from "./helpers/database";

const browser = startBrowserForFile();

describe("payment history", () => {
  it("starts empty, then lists the payments newest first, with badges, refunds and pages", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page, "/payments");
    await page.getByRole("heading", { name: "No payments yet" }).waitFor();
    await screenshot(page, "history-empty");

    // Ten older payments through the API (€10.01 … €10.10), then three in the checkout.
    for (let cents = 1_001; cents <= 1_010; cents++) {
      expect(await payThroughApi(page, { amount: cents, currency: "eur", paymentMethod: "pm_card_visa" })).toBe(201);
    }
    await page.getByRole("link", { name: "Make a payment" }).click();
    const payInCheckout = async (amount: string, card: Card, heading: string) => {
      await fillCheckout(page, { amount, card });
      await payButton(page).click();
      await outcomeHeading(page, heading).waitFor();
      await page.getByRole("button", { name: "New payment" }).click();
    };
    await payInCheckout("30.00", "declined", "Payment declined");
    // A script's payment that waits for 3-D Secure: nobody completes it.
    expect(await payThroughApi(page, { amount: 4_550, currency: "eur", paymentMethod: "pm_card_authenticationRequired" })).toBe(201);
    await payInCheckout("12.00", "succeeds", "Payment successful");
    const [newest] = await paymentRowsOf(customer.userId);
    await markRefunded(newest!.id, 500);

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Payments", exact: true }).click();
    await page.waitForURL(appUrl("/payments"));
    const items = page.getByRole("list", { name: "Your payments" }).getByRole("listitem");
    await expect(items.allInnerTexts()).resolves.toHaveLength(10);
    const firstPage = (await items.allInnerTexts()).map((text) => text.split("\n")[0]);
    expect(firstPage).toEqual([
      "€12.00", "€45.50", "€30.00", "€10.10", "€10.09", "€10.08", "€10.07", "€10.06", "€10.05", "€10.04",
    ]);
    const texts = await items.allInnerTexts();
    expect(texts[0]).toMatch(/Succeeded[\s\S]*Refunded: €5\.00/);
    expect(texts[1]).toContain("Authentication required");
    expect(texts[2]).toMatch(/Declined[\s\S]*Decline code: generic_decline/);
    await screenshot(page, "history");

    await page.getByRole("link", { name: "Older payments →" }).click();
    await page.waitForURL(/\/payments\?cursor=/);
    await expect(items.allInnerTexts()).resolves.toHaveLength(3);
    expect((await items.allInnerTexts()).map((text) => text.split("\n")[0])).toEqual(["€10.03", "€10.02", "€10.01"]);
    await expect(page.getByRole("link", { name: "Older payments →" }).count()).resolves.toBe(0);
    await page.getByRole("link", { name: "← Newest payments" }).click();
    await page.waitForURL(appUrl("/payments"));

    await page.setViewportSize(MOBILE_VIEWPORT);
    await expect(page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).resolves.toBe(0);
    await screenshot(page, "history-mobile");
  });

  it("shows a refund that failed after it was made, and a dispute, as Stripe's webhooks report them", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page, "/payments");
    // Stripe's test cards for both (docs.stripe.com/testing): the emulator fails the refund and
    // opens the dispute a moment later, and tells the app by webhook, as Stripe would.
    expect(await payThroughApi(page, { amount: 2_000, currency: "eur", paymentMethod: "pm_card_refundFail" })).toBe(201);
    const [refundFails] = await paymentRowsOf(customer.userId);
    const refunded = await page.request.post(appUrl(refundsPath(refundFails!.id)), {
      headers: { "Idempotency-Key": randomUUID(), ...sameOrigin() },
      data: {},
    });
    expect(refunded.status()).toBe(201);
    expect(await payThroughApi(page, { amount: 3_000, currency: "eur", paymentMethod: "pm_card_createDispute" })).toBe(201);

    const items = page.getByRole("list", { name: "Your payments" }).getByRole("listitem");
    await expect
      .poll(
        async () => {
          await page.reload();
          return (await items.allInnerTexts()).join("\n---\n");
        },
        { timeout: 15_000, interval: 250 },
      )
      .toMatch(/€30\.00[\s\S]*Disputed \(fraudulent\): awaiting the merchant's response · €30\.00[\s\S]*---[\s\S]*€20\.00[\s\S]*Refund failed: €20\.00/);
    const texts = await items.allInnerTexts();
    expect(texts[1]).not.toContain("Refunded:");
    await screenshot(page, "history-refund-failed-and-disputed");
  });

  it("answers a cursor it never issued with a way back, not an error page", async () => {
    const page = await browser.newPage();
    await signUp(page, "/payments");
    await page.goto(appUrl("/payments?cursor=not-a-cursor"));
    await page.getByText("This page link is no longer valid.").waitFor();
    await page.getByRole("link", { name: "Show the newest payments" }).click();
    await page.getByRole("heading", { name: "No payments yet" }).waitFor();
  });
});
