import { randomUUID } from "node:crypto";
import type { FrameLocator, Locator, Page } from "playwright-core";
import { inject } from "vitest";
import { PAYMENTS_PATH } from "@/lib/routes";
import { userIdOf } from "./database";

export type Customer = { email: string; userId: string };

/** Stripe's test card numbers (docs.stripe.com/testing), by what they do. */
export const CARDS = {
  succeeds: "4242 4242 4242 4242",
  mastercard: "5555 5555 5555 4444",
  amex: "3782 822463 10005",
  declined: "4000 0000 0000 0002",
  "insufficient funds": "4000 0000 0000 9995",
  "needs authentication": "4000 0027 6000 3184",
  "disputed later": "4000 0000 0000 0259",
  "refund fails later": "4000 0000 0000 5126",
} as const;

export type Card = keyof typeof CARDS;

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

/** Fills the checkout form, the card typed into the Payment Element; the Pay button is `payButton(page)`. */
export async function fillCheckout(page: Page, choice: { amount: string; currency?: string; card?: Card }): Promise<void> {
  await page.getByLabel("Amount").fill(choice.amount);
  await page.getByLabel("Currency").selectOption(choice.currency ?? "eur");
  await typeCard(page, { number: CARDS[choice.card ?? "succeeds"] });
}

type CardFields = { number?: string; expiry?: string; cvc?: string; postalCode?: string };

/** Types into the Payment Element's frame, key by key as a customer would; a field left undefined keeps its value. */
export async function typeCard(page: Page, fields: CardFields, defaults = true): Promise<void> {
  const element = paymentElement(page);
  const values = defaults ? { expiry: "12 / 34", cvc: fields.number?.startsWith("37") ? "1234" : "123", postalCode: "10001", ...fields } : fields;
  const type = async (label: string, value: string | undefined) => {
    if (value === undefined) return;
    const input = element.getByLabel(label);
    await input.clear();
    await input.pressSequentially(value);
  };
  await type("Card number", values.number);
  await type("Expiration date", values.expiry);
  await type("Security code", values.cvc);
  await type("Postal code", values.postalCode);
}

/** Stripe's Payment Element: an iframe, real or the emulator's stand-in. */
export function paymentElement(page: Page): FrameLocator {
  return page.frameLocator('iframe[title="Secure payment input frame"]');
}

/** Answers the 3-D Secure challenge Stripe.js shows in a dialog, as on Stripe's test page. */
export async function answerThreeDSecure(page: Page, answer: "Complete" | "Fail"): Promise<void> {
  await page.getByRole("dialog").frameLocator("iframe").getByRole("button", { name: answer, exact: true }).click();
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

/**
 * The headers a page's own fetch() sends with a state-changing request, which Playwright's
 * request client leaves out: cookie-authenticated writes must come from the app's origin
 * (src/server/http/same-origin.ts).
 */
export const sameOrigin = () => ({ Origin: new URL(appUrl()).origin });

/** POST /api/payments from inside the page, with its session cookie: for data a test needs quickly. */
export async function payThroughApi(page: Page, body: { amount: number; currency: string; paymentMethod: string }): Promise<number> {
  const response = await page.request.post(appUrl(PAYMENTS_PATH), {
    headers: { "Idempotency-Key": randomUUID(), ...sameOrigin() },
    data: body,
  });
  return response.status();
}
