import { randomUUID } from "node:crypto";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { ERROR_CODE_NAMES, ERROR_CODES } from "@/lib/error-codes";
import { PAYMENTS_PATH } from "@/lib/routes";
import { problemSchema } from "@/lib/schemas/problem";
import { MOBILE_VIEWPORT, screenshot, startBrowserForFile } from "./helpers/browser";
import { watchCspViolations } from "./helpers/csp-violations";
import { appUrl, signUp } from "./helpers/checkout";
import { paymentRowsOf } from "./helpers/database";

/**
 * The documentation pages (src/app/docs): the API reference, swagger-ui bundled with the app,
 * which must load nothing from anywhere but the app and break no CSP rule; and the error
 * codes page, the target of every problem's `type`, with a section for each code.
 */
const browser = startBrowserForFile();

const APP_ORIGIN = new URL(appUrl()).origin;

/** A name the browser is shown the app under, not a loopback address (see the test that uses it). */
const PUBLIC_ORIGIN = "http://docs.payments.example";

/** Every URL the page's context asks for (documents, scripts, styles, fetches, images, workers). */
function recordRequests(page: Page): string[] {
  const urls: string[] = [];
  page.context().on("request", (request) => urls.push(request.url()));
  return urls;
}

/** Requests that would leave the app: anything but its origin (data: URLs never reach a network). */
const leavingTheApp = (urls: string[]) => urls.filter((url) => !url.startsWith("data:") && new URL(url).origin !== APP_ORIGIN);

const pageWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

/** swagger-ui's block of one operation (its id: `operations-<tag>-<operationId>`). */
const operationBlock = (page: Page, tag: string, operationId: string) => page.locator(`#operations-${tag}-${operationId}`);

/** Whether the element is drawn inside the viewport, at least in part. */
function inViewport(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).evaluate((element) => {
    const box = element.getBoundingClientRect();
    return box.height > 0 && box.top < window.innerHeight && box.bottom > 0;
  });
}

describe("the API reference at /docs/api", () => {
  it("renders every operation from /api/openapi.json with swagger-ui, asking nothing of any other origin and breaking no CSP rule", async () => {
    const page = await browser.newPage();
    const requests = recordRequests(page);
    const violations = await watchCspViolations(page);
    const response = await page.goto(appUrl("/docs/api"));
    expect(response?.status()).toBe(200);
    await expect(page.title()).resolves.toBe("API reference · Idempotent payments");

    const createPayment = operationBlock(page, "Payments", "createPayment");
    await createPayment.waitFor();
    // Every operation of the document is on the page.
    const document = (await (await page.request.get(appUrl("/api/openapi.json"))).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    const operationIds = Object.values(document.paths).flatMap((methods) => Object.values(methods).map((operation) => operation.operationId));
    expect(operationIds.length).toBeGreaterThanOrEqual(12);
    await expect(page.locator(".opblock").count()).resolves.toBe(operationIds.length);
    for (const operationId of operationIds) {
      await expect(page.locator(`.opblock-summary-operation-id`, { hasText: new RegExp(`^${operationId}$`) }).count(), operationId).resolves.toBe(1);
    }
    await expect(createPayment.locator(".opblock-summary-path").innerText()).resolves.toBe(PAYMENTS_PATH);
    await screenshot(page, "docs-api");

    // POST /api/payments opened: its Idempotency-Key header, required, and its error codes.
    await createPayment.locator(".opblock-summary-control").click();
    const keyParameter = createPayment.locator('tr[data-param-name="Idempotency-Key"]');
    await keyParameter.waitFor();
    await expect(keyParameter.locator(".parameter__name").innerText()).resolves.toMatch(/^Idempotency-Key\b/);
    await expect(keyParameter.locator(".parameter__name.required").count(), "marked required").resolves.toBe(1);
    await expect(keyParameter.locator(".parameter__in").innerText()).resolves.toBe("(header)");
    await expect(createPayment.locator(".responses-table .response-col_status", { hasText: /^402$/ }).count()).resolves.toBe(1);
    expect(page.url(), "deep linking").toBe(appUrl("/docs/api#/Payments/createPayment"));
    await screenshot(page, "docs-api-create-payment");

    // No validator badge, and links to the error codes and the document itself.
    await expect(page.locator(".swagger-ui img").count()).resolves.toBe(0);
    const main = page.getByRole("main");
    await expect(main.getByRole("link", { name: "Error codes" }).first().getAttribute("href")).resolves.toBe("/docs/errors");
    await expect(main.getByRole("link", { name: "/api/openapi.json" }).first().getAttribute("href")).resolves.toBe("/api/openapi.json");

    expect(requests.some((url) => url === appUrl("/api/openapi.json"))).toBe(true);
    expect(leavingTheApp(requests)).toEqual([]);
    expect(await violations()).toEqual([]);
  });

  it("opens the operation a deep link names, and fits a 375 px screen", async () => {
    const page = await browser.newPage({ viewport: MOBILE_VIEWPORT });
    const requests = recordRequests(page);
    const violations = await watchCspViolations(page);
    await page.goto(appUrl("/docs/api#/Payments/createPayment"));
    await operationBlock(page, "Payments", "createPayment").locator('tr[data-param-name="Idempotency-Key"]').waitFor();
    expect(await pageWidth(page)).toBeLessThanOrEqual(MOBILE_VIEWPORT.width);
    await screenshot(page, "docs-api-mobile");
    expect(leavingTheApp(requests)).toEqual([]);
    expect(await violations()).toEqual([]);
  });

  it("asks nothing of other origins under a public host name too, whatever the query string says", async () => {
    // swagger-ui leaves out its validator badge (an image from validator.swagger.io) only when
    // the document's URL has "localhost" or "127.0.0.1" in it: here the app is served to the
    // browser under another name, every request to it passed on to the real server.
    const page = await browser.newPage({ allowConsoleErrors: [/ERR_BLOCKED_BY_CLIENT/] });
    const requests = recordRequests(page);
    const violations = await watchCspViolations(page);
    await page.context().route("**/*", async (route) => {
      const url = new URL(route.request().url());
      if (url.origin !== PUBLIC_ORIGIN) return route.abort("blockedbyclient");
      await route.fulfill({ response: await route.fetch({ url: appUrl(`${url.pathname}${url.search}`) }) });
    });
    const query = new URLSearchParams({ url: "https://evil.example/openapi.json", configUrl: "https://evil.example/config.json" });
    await page.goto(`${PUBLIC_ORIGIN}/docs/api?${query}`);
    await operationBlock(page, "Payments", "createPayment").waitFor();
    await expect(page.locator(".swagger-ui .info .title").innerText()).resolves.toMatch(/^Idempotent payments API/);
    expect(requests).toContain(`${PUBLIC_ORIGIN}/api/openapi.json`);
    expect(requests.filter((url) => !url.startsWith("data:") && new URL(url).origin !== PUBLIC_ORIGIN)).toEqual([]);
    await expect(page.locator(".swagger-ui img").count()).resolves.toBe(0);
    expect(await violations()).toEqual([]);
  });

  it("tries out POST /api/payments from the page with the session cookie: the proxy lets it through, and it pays once", async () => {
    const page = await browser.newPage();
    const customer = await signUp(page, "/docs");
    const requests = recordRequests(page);
    const violations = await watchCspViolations(page);
    await page.goto(appUrl("/docs/api#/Payments/createPayment"));
    const createPayment = operationBlock(page, "Payments", "createPayment");
    await createPayment.locator('tr[data-param-name="Idempotency-Key"]').waitFor();

    await createPayment.getByRole("button", { name: "Try it out" }).click();
    const key = `docs-${randomUUID()}`;
    await createPayment.locator('tr[data-param-name="Idempotency-Key"] input').fill(key);
    await createPayment.locator("textarea.body-param__text").fill(JSON.stringify({ amount: 1_500, currency: "eur", paymentMethod: "pm_card_visa" }));
    const answered = page.waitForResponse((answer) => answer.url() === appUrl(PAYMENTS_PATH) && answer.request().method() === "POST");
    await createPayment.getByRole("button", { name: "Execute" }).click();
    const answer = await answered;
    expect(answer.status()).toBe(201);
    await expect(createPayment.locator(".live-responses-table tbody .response-col_status").innerText()).resolves.toMatch(/^201/);
    await screenshot(page, "docs-api-try-it-out");

    const rows = await paymentRowsOf(customer.userId);
    expect(rows).toMatchObject([{ status: "succeeded", amount: 1_500, idempotency_key: key }]);

    // Executed again: the same key replays the first answer, and nothing more is charged.
    const replayed = page.waitForResponse((response) => response.url() === appUrl(PAYMENTS_PATH) && response.request().method() === "POST");
    await createPayment.getByRole("button", { name: "Execute" }).click();
    expect((await (await replayed).allHeaders())["idempotent-replayed"]).toBe("true");
    expect(await paymentRowsOf(customer.userId)).toHaveLength(1);

    expect(leavingTheApp(requests)).toEqual([]);
    expect(await violations()).toEqual([]);
  });
});

describe("the error codes at /docs/errors", () => {
  it("has a visible section for every code of the table, reached by its anchor, with its status, title, meaning and retry hint", async () => {
    const page = await browser.newPage();
    const requests = recordRequests(page);
    const violations = await watchCspViolations(page);
    const response = await page.goto(appUrl("/docs/errors"));
    expect(response?.status()).toBe(200);
    await expect(page.title()).resolves.toBe("Error codes · Idempotent payments");
    await expect(page.locator("main section[id]").evaluateAll((sections) => sections.map((section) => section.id))).resolves.toEqual(
      // The sections, in the table's order, and "reading-an-error" is not one of them.
      ERROR_CODE_NAMES,
    );
    await screenshot(page, "docs-errors");

    const toc = page.getByRole("navigation", { name: "All codes" });
    for (const code of ERROR_CODE_NAMES) {
      const { status, title, meaning, retry } = ERROR_CODES[code];
      await expect(toc.locator(`a[href="#${code}"]`).count(), code).resolves.toBe(1);

      await page.evaluate((hash) => {
        window.location.hash = hash;
      }, code);
      await page.waitForFunction((hash) => window.location.hash === `#${hash}`, code);
      const section = page.locator(`#${code}`);
      expect(await section.isVisible(), code).toBe(true);
      expect(await inViewport(page, `#${code}`), `${code} scrolled into view`).toBe(true);
      await expect(section.locator("h2").innerText(), code).resolves.toBe(code);
      const text = await section.innerText();
      expect(text, code).toContain(`${status} `);
      expect(text, code).toContain(title);
      expect(text, code).toContain(meaning.replaceAll("`", ""));
      expect(text, code).toContain(retry);
    }
    await expect(page.locator("#card_declined").innerText()).resolves.toContain("Do not retry this key; a new attempt needs a new key");
    await expect(page.locator("#service_unavailable").innerText()).resolves.toContain("Retry with the same Idempotency-Key");
    await expect(page.locator("#invalid_request").innerText()).resolves.toContain("Retrying the same request will not help; change it first");

    expect(leavingTheApp(requests)).toEqual([]);
    expect(await violations()).toEqual([]);
  });

  it("links each code to the operations that answer it, in the API reference", async () => {
    const page = await browser.newPage();
    await page.goto(appUrl("/docs/errors#card_declined"));
    const link = page.locator("#card_declined").getByRole("link", { name: "POST /api/payments" });
    await expect(link.getAttribute("href")).resolves.toBe("/docs/api#/Payments/createPayment");
    await link.click();
    await page.waitForURL(appUrl("/docs/api#/Payments/createPayment"));
    await operationBlock(page, "Payments", "createPayment").locator('tr[data-param-name="Idempotency-Key"]').waitFor();
    expect(await inViewport(page, "#operations-Payments-createPayment"), "the linked operation is scrolled to").toBe(true);

    // And back: the page itself, not the anchor it was first opened at.
    await page.getByRole("navigation", { name: "Documentation" }).getByRole("link", { name: "Error codes" }).click();
    await page.waitForURL(appUrl("/docs/errors"));
    await page.locator("#unauthorized").waitFor();
  });

  it("fits a 375 px screen", async () => {
    const page = await browser.newPage({ viewport: MOBILE_VIEWPORT });
    await page.goto(appUrl("/docs/errors#idempotency_request_in_progress"));
    expect(await inViewport(page, "#idempotency_request_in_progress")).toBe(true);
    expect(await pageWidth(page)).toBeLessThanOrEqual(MOBILE_VIEWPORT.width);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, "docs-errors-mobile");
  });

  it("is where a problem's `type` leads: the API's 401 names an anchor of the page", async () => {
    const page = await browser.newPage();
    const answer = await page.request.post(appUrl(PAYMENTS_PATH), {
      headers: { "Idempotency-Key": randomUUID() },
      data: { amount: 1_000, currency: "eur", paymentMethod: "pm_card_visa" },
    });
    expect(answer.status()).toBe(401);
    expect(answer.headers()["content-type"]).toBe("application/problem+json");
    const problem = problemSchema.parse(await answer.json());
    expect(problem).toMatchObject({ code: "unauthorized", type: "/docs/errors#unauthorized", retry: "never" });

    // Resolved as a client resolves it: against the answer's URL.
    const documentation = new URL(problem.type, answer.url());
    expect(documentation.origin).toBe(APP_ORIGIN);
    expect((await page.goto(documentation.toString()))?.status()).toBe(200);
    const section = page.locator(`#${documentation.hash.slice(1)}`);
    expect(await section.isVisible()).toBe(true);
    expect(await inViewport(page, documentation.hash)).toBe(true);
    await expect(section.innerText()).resolves.toContain(ERROR_CODES.unauthorized.title);
  });
});

describe("the documentation index at /docs", () => {
  it("links the API reference, the error codes and the OpenAPI document", async () => {
    const page = await browser.newPage();
    await page.goto(appUrl("/docs"));
    const main = page.getByRole("main");
    await expect(main.getByRole("heading", { level: 1 }).innerText()).resolves.toBe("Documentation");
    const hrefs = await main.getByRole("link").evaluateAll((links) => links.map((link) => link.getAttribute("href")));
    expect(hrefs).toEqual(expect.arrayContaining(["/docs/api", "/docs/errors", "/api/openapi.json"]));
    await screenshot(page, "docs-index");
  });
});
