import { Script } from "node:vm";
import { describe, expect, it } from "vitest";
import { BRANDS } from "./card-data";
import { type StripeEmulator } from "./index";
import { paymentFrameScript } from "./stripe-js-assets";
import { rawRequest, startEmulatorForFile } from "./test-helpers";

let emulator: StripeEmulator;
startEmulatorForFile({}, (started) => {
  emulator = started;
});

// The browser side of these is exercised in Chromium by tests/e2e/stripe-js-stand-in.test.ts.
describe("what a browser loads from the emulator", () => {
  it("checks card numbers in the frame with the API's own brand prefixes", () => {
    const frame = paymentFrameScript();
    for (const { brand, prefix } of BRANDS) {
      expect(frame, brand).toContain(`brand: "${brand}"`);
      expect(frame, brand).toContain(`prefix: ${String(prefix)}`);
    }
  });

  it.each([
    ["/v3", "3"],
    ["/v3/", "3"],
    ["/endive/stripe.js", '"endive"'],
  ])("serves the Stripe.js stand-in at %s, as release %s", async (path, release) => {
    const response = await fetch(`${emulator.url}${path}`);
    const script = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/javascript; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(script).toContain(`const RELEASE = ${release};`);
    expect(script).toContain("window.Stripe = Stripe;");
    expect(() => new Script(script)).not.toThrow();
  });

  it("serves the card frame, labelled and with the autocomplete hints browsers fill cards by", async () => {
    const page = await fetch(`${emulator.url}/elements/payment-frame?key=pk_test_x&parent_origin=http://shop.example`);
    const html = await page.text();

    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    for (const [id, label, autocomplete] of [
      ["number", "Card number", "cc-number"],
      ["expiry", "Expiration date", "cc-exp"],
      ["cvc", "Security code", "cc-csc"],
      ["postal", "Postal code", "postal-code"],
    ]) {
      expect(html).toContain(`<label for="${id}">${label}</label>`);
      expect(html).toMatch(new RegExp(`<input id="${id}"[^>]*autocomplete="${autocomplete}"[^>]*aria-describedby="[^"]*${id}-error"`));
    }
    expect(html).toContain('<script src="payment-frame.js"></script>');

    const script = await fetch(`${emulator.url}/elements/payment-frame.js`);
    expect(script.headers.get("content-type")).toBe("application/javascript; charset=utf-8");
    const frameScript = await script.text();
    expect(() => new Script(frameScript)).not.toThrow();
  });

  it("leaves other paths to the API", async () => {
    const response = await rawRequest(emulator, "GET", "/v4");
    expect(response.status).toBe(404);
    expect(response.json).toMatchObject({ error: { message: expect.stringContaining("Unrecognized request URL (GET: /v4)") } });
  });
});
