import { afterEach, beforeEach } from "vitest";

/**
 * STYLE.md: a suite that prints an unexpected console.error is failing. Call from a setup
 * file: every test that calls console.error (it still prints) fails afterwards.
 */
export function failOnConsoleError(): void {
  let consoleErrors: unknown[][] = [];
  const originalConsoleError = console.error;
  beforeEach(() => {
    consoleErrors = [];
    console.error = (...args: unknown[]) => {
      consoleErrors.push(args);
      originalConsoleError(...args);
    };
  });
  afterEach(() => {
    console.error = originalConsoleError;
    if (consoleErrors.length > 0) {
      throw new Error(`console.error was called ${consoleErrors.length} time(s) during the test`);
    }
  });
}
