import type { Page } from "playwright-core";

/**
 * The page's CSP violations, as its documents report them (securitypolicyviolation events):
 * Chromium logs most as console errors, which fail a test on their own; this also catches a
 * violation a script swallowed. Call before the page loads; the returned function reads them.
 */
export async function watchCspViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    Object.assign(window, { cspViolations: seen });
    document.addEventListener("securitypolicyviolation", (event) =>
      seen.push(`${event.violatedDirective} ${event.blockedURI} at ${event.sourceFile}:${event.lineNumber}`),
    );
  });
  return () => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
}
