// The "pure" entry point: importing the main one injects js.stripe.com's script at once.
import type { Stripe } from "@stripe/stripe-js";
import { loadStripe } from "@stripe/stripe-js/pure";

/** What the browser needs to load Stripe.js (src/env.ts's stripeJsConfig): never a secret. */
export type StripeJsConfig = {
  publishableKey: string;
  /** The emulator's Stripe.js stand-in, loaded before `loadStripe`; null with real Stripe. */
  standInUrl: string | null;
};

let loading: Promise<Stripe | null> | undefined;

/**
 * Stripe.js, once per page, by the one code path every environment runs: `loadStripe` from
 * @stripe/stripe-js. With real Stripe it injects js.stripe.com's script; with the emulator the
 * stand-in is loaded first, and `loadStripe` resolves with the `window.Stripe` it defined
 * (that is how loadStripe treats a Stripe.js already on the page). A failed load is retried
 * by the next call.
 */
export function loadStripeJs(config: StripeJsConfig): Promise<Stripe | null> {
  loading ??= (config.standInUrl ? loadScript(config.standInUrl) : Promise.resolve())
    .then(() => loadStripe(config.publishableKey))
    .catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
  return loading;
}

function loadScript(src: string): Promise<void> {
  if ("Stripe" in window) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.async = true;
    script.addEventListener("load", () => resolve());
    script.addEventListener("error", () => {
      script.remove();
      reject(new Error(`Stripe.js could not be loaded from ${src}`));
    });
    document.head.appendChild(script);
  });
}
