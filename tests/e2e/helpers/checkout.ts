import { randomUUID } from "node:crypto";
import type { Locator, Page } from "playwright-core";
import { inject } from "vitest";
import { PAYMENTS_PATH } from "@/lib/routes";
import { userIdOf } from "./database";

export type Customer = { email: string; userId: string };

type Card = "succeeds" | "declined" | "needs authentication";

const PASSWORD = "e2e correct horse battery staple";

export const appUrl = (path = "/") => new URL(path, inject("e2eAppUrl")).toString();

/** Creates an account through the sign-up page and lands, signed in, on `then`. */
export async function signUp(page: Page, then = "/pay"): Promise<Customer> {
  const email = `e2e-${randomUUID()}@example.test`;
  await page.goto(appUrl(`/sign-up?${new URLSearchParams({ callbackUrl: then })}`));
  await page.getByLabel("Name (optional)").fill("E2E Customer");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(appUrl(then));
  return { email, userId: await userIdOf(email) };
}

/** Fills the checkout form; the Pay button is `payButton(page)`. */
export async function fillCheckout(page: Page, choice: { amount: string; currency?: string; card?: Card }): Promise<void> {
  await page.getByLabel("Amount").fill(choice.amount);
  await page.getByLabel("Currency").selectOption(choice.currency ?? "eur");
  await page.getByRole("radio", { name: new RegExp(choice.card ?? "succeeds", "i") }).check();
}

export function payButton(page: Page): Locator {
  return page.getByRole("button", { name: /^Pay\b/ });
}

export function outcomeHeading(page: Page, name: string): Locator {
  return page.getByRole("heading", { level: 2, name });
}

/** The value of a row of the outcome panel (PaymentIntent, Replayed, Idempotency key…). */
export async function outcomeDetail(page: Page, term: string): Promise<string> {
  const row = page.locator("dl > div").filter({ has: page.locator("dt", { hasText: new RegExp(`^${term}$`) }) });
  return (await row.locator("dd").innerText()).trim();
}

/** POST /api/payments from inside the page, with its session cookie: for data a test needs quickly. */
export async function payThroughApi(page: Page, body: { amount: number; currency: string; paymentMethod: string }): Promise<number> {
  const response = await page.request.post(appUrl(PAYMENTS_PATH), {
    headers: { "Idempotency-Key": randomUUID() },
    data: body,
  });
  return response.status();
}
