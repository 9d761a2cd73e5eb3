import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { ARTIFACTS_DIR } from "./artifacts";
import { newServerErrors } from "./server-log";

/**
 * Debian's chromium (TOOLCHAIN.md): `npx playwright install` cannot download browsers here.
 * Without these flags it runs a sandbox root cannot use, and tries to reach Google's update,
 * sync and QUIC endpoints from a machine that has no internet.
 */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** What a page may log as an error: Chromium logs every non-2xx answer to fetch(). */
const EXPECTED_CONSOLE_ERRORS = [/^Failed to load resource: the server responded with a status of (402|409)\b/];

export const MOBILE_VIEWPORT = { width: 375, height: 812 };

type PageOptions = { viewport?: { width: number; height: number }; allowConsoleErrors?: RegExp[] };

/**
 * One Chromium for the test file, a fresh context (cookies, sessionStorage) per page, and
 * STYLE.md's rule for the browser and the server: an uncaught error or an unexpected
 * console.error in a page, or an error in the server's log, fails the test.
 */
export function startBrowserForFile() {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    newServerErrors(); // what earlier files left in the log is theirs
    // launch() gives every browser a fresh temporary profile (user-data-dir) and removes it
    // on close; Playwright refuses --user-data-dir in `args` for that reason.
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      headless: true,
      args: CHROMIUM_ARGS,
    });
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    expect(problems.splice(0), "errors in the browser").toEqual([]);
    expect(newServerErrors(), "errors in the server log").toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
  });

  return {
    async newPage(options: PageOptions = {}): Promise<Page> {
      if (!browser) throw new Error("the browser starts in beforeAll");
      const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 }, locale: "en-US" });
      contexts.push(context);
      const page = await context.newPage();
      const allowed = [...EXPECTED_CONSOLE_ERRORS, ...(options.allowConsoleErrors ?? [])];
      page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
      page.on("console", (message) => {
        if (message.type() === "error" && !allowed.some((pattern) => pattern.test(message.text()))) {
          problems.push(`console.error: ${message.text()}`);
        }
      });
      return page;
    },
  };
}

/** Saves a full-page screenshot as test-results/e2e/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`), fullPage: true, animations: "disabled" });
}
