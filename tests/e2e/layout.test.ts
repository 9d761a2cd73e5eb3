import { randomUUID } from "node:crypto";
import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { MOBILE_VIEWPORT, screenshot, startBrowserForFile } from "./helpers/browser";
import { appUrl, payThroughApi, signUp } from "./helpers/checkout";
import { paymentRowsOf } from "./helpers/database";

const browser = startBrowserForFile();

/** Chromium logs the 404 of the page itself as it logs any other failed resource. */
const NOT_FOUND_LOGGED = /^Failed to load resource: the server responded with a status of 404\b/;

/** The header's height, and how many rows its links, buttons and email take (items whose middles share a line). */
function headerRows(page: Page): Promise<{ height: number; rows: number; right: number }> {
  return page.evaluate(() => {
    const header = document.querySelector("header")!;
    const items = [...header.querySelectorAll("a, button, strong")].map((item) => item.getBoundingClientRect());
    const middles = items.map((box) => box.top + box.height / 2).sort((a, b) => a - b);
    const rows = middles.filter((middle, index) => index === 0 || middle - middles[index - 1]! > 8).length;
    return {
      height: header.getBoundingClientRect().height,
      rows,
      right: Math.max(...items.map((box) => box.right)),
    };
  });
}

const pageWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

/** Creates a key on the API keys page; answers its Revoke button. */
async function createApiKey(page: Page, name: string): Promise<Locator> {
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Create key" }).click();
  const revoke = page.getByRole("button", { name: `Revoke ${name}`, exact: true });
  await revoke.waitFor();
  return revoke;
}

describe("layout", () => {
  it("answers an unknown address, and an unknown payment, with the styled 404 page and a way home", async () => {
    const page = await browser.newPage({ allowConsoleErrors: [NOT_FOUND_LOGGED] });
    const response = await page.goto(appUrl("/no-such-page"));
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { level: 1 }).innerText()).resolves.toBe("Page not found");
    await expect(page.title()).resolves.toBe("Page not found · Idempotent payments");
    // Inside the root layout: the site's header is there.
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sign in" }).count()).resolves.toBe(1);
    await screenshot(page, "layout-not-found");

    // A page's notFound(): the payment page of a payment that does not exist.
    await signUp(page, "/payments");
    expect((await page.goto(appUrl(`/payments/${randomUUID()}`)))?.status()).toBe(404);
    await expect(page.getByRole("heading", { level: 1 }).innerText()).resolves.toBe("Page not found");
    const ways = page.getByRole("navigation", { name: "Ways on" });
    await expect(ways.getByRole("link").allInnerTexts()).resolves.toEqual(["Home", "Checkout", "Payments"]);
    await ways.getByRole("link", { name: "Home" }).click();
    await page.waitForURL(appUrl("/"));
    await expect(page.getByRole("heading", { level: 1 }).innerText()).resolves.toBe("Idempotent payments");
  });

  it("fits a 375 px screen signed out: the 404 page and its header", async () => {
    const page = await browser.newPage({ viewport: MOBILE_VIEWPORT, allowConsoleErrors: [NOT_FOUND_LOGGED] });
    await page.goto(appUrl("/no-such-page"));
    const header = await headerRows(page);
    expect(header.rows).toBeLessThanOrEqual(2);
    expect(header.right).toBeLessThanOrEqual(MOBILE_VIEWPORT.width);
    expect(await pageWidth(page)).toBeLessThanOrEqual(MOBILE_VIEWPORT.width);
    await screenshot(page, "layout-not-found-mobile");
  });

  it("fits a 375 px screen signed in: a header of at most two rows, no sideways scrolling, Revoke in view", async () => {
    const page = await browser.newPage({ viewport: MOBILE_VIEWPORT });
    await signUp(page, "/settings/api-keys");
    const revoke = await createApiKey(page, "Nightly export with a rather long name");
    expect(await payThroughApi(page, { amount: 1_234, currency: "eur", paymentMethod: "pm_card_visa" })).toBe(201);

    for (const path of ["/pay", "/payments", "/settings/api-keys"]) {
      await page.goto(appUrl(path));
      const header = await headerRows(page);
      expect(header.rows, path).toBeLessThanOrEqual(2);
      expect(header.height, path).toBeLessThanOrEqual(100);
      expect(header.right, path).toBeLessThanOrEqual(MOBILE_VIEWPORT.width);
      expect(await pageWidth(page), path).toBeLessThanOrEqual(MOBILE_VIEWPORT.width);
      await screenshot(page, `layout-mobile${path.replaceAll("/", "-")}`);
    }

    const box = await revoke.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(MOBILE_VIEWPORT.width);
  });

  it("keeps the header on one row on a desktop screen", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page, "/settings/api-keys");
    await createApiKey(page, "Nightly export");
    expect(await payThroughApi(page, { amount: 1_234, currency: "eur", paymentMethod: "pm_card_visa" })).toBe(201);

    for (const path of ["/pay", "/payments", "/settings/api-keys"]) {
      await page.goto(appUrl(path));
      await expect(headerRows(page), path).resolves.toMatchObject({ rows: 1 });
      await screenshot(page, `layout-desktop${path.replaceAll("/", "-")}`);
    }
    const nav = await page.getByRole("navigation", { name: "Main" }).innerText();
    expect(nav.replaceAll(/\s+/g, " ")).toContain(`Signed in as ${customer.email}`);
  });

  it("links each payment of the history to its page, with its card and the time in the viewer's time zone", async () => {
    const page = await browser.newPage();
    // India's offset is a half hour: neither the server's zone nor UTC could produce it.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Emulation.setTimezoneOverride", { timezoneId: "Asia/Kolkata" });
    const customer = await signUp(page, "/payments");
    expect(await payThroughApi(page, { amount: 1_234, currency: "eur", paymentMethod: "pm_card_visa" })).toBe(201);
    const [payment] = await paymentRowsOf(customer.userId);

    await page.reload();
    const row = page.getByRole("list", { name: "Your payments" }).getByRole("listitem");
    // UTC as rendered on the server, then the viewer's zone once the page has hydrated.
    await expect
      .poll(() => row.locator("time").innerText(), { timeout: 10_000, interval: 100 })
      .toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2} GMT\+5:30$/);
    await expect(row.innerText()).resolves.toMatch(/Visa ••••\s*ending in\s*4242/);

    // The row's one link, reached from the keyboard.
    const view = row.getByRole("link", { name: "View the €12.34 payment" });
    await expect(view.getAttribute("href")).resolves.toBe(`/payments/${payment!.id}`);
    await view.focus();
    await expect(page.evaluate(() => document.activeElement?.getAttribute("href"))).resolves.toBe(`/payments/${payment!.id}`);
    await screenshot(page, "layout-history-row");
  });
});
