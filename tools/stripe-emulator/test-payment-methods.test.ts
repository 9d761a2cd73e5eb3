import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { type StripeEmulator } from "./index";
import { NO_REDIRECTS, caught, testTag, startEmulatorForFile } from "./test-helpers";

let emulator: StripeEmulator;
let stripe: Stripe;
startEmulatorForFile({}, (started, client) => {
  emulator = started;
  stripe = client;
});

// docs.stripe.com/testing#declined-payments and docs.stripe.com/declines/codes; advice codes as
// test mode sets them (docs.stripe.com/declines/card#retrying-issuer-declines).
const DECLINES = [
  {
    token: "pm_card_chargeDeclinedInsufficientFunds",
    code: "card_declined",
    decline_code: "insufficient_funds",
    advice_code: "try_again_later",
    message: "Your card has insufficient funds.",
  },
  {
    token: "pm_card_chargeDeclinedLostCard",
    code: "card_declined",
    decline_code: "lost_card",
    advice_code: "do_not_try_again",
    message: "Your card was declined.",
  },
  {
    token: "pm_card_visa_chargeDeclinedStolenCard",
    code: "card_declined",
    decline_code: "stolen_card",
    advice_code: "do_not_try_again",
    message: "Your card was declined.",
  },
  {
    token: "pm_card_chargeDeclinedProcessingError",
    code: "processing_error",
    decline_code: "processing_error",
    advice_code: "try_again_later",
    message: "An error occurred while processing your card. Try again in a little bit.",
  },
  {
    token: "pm_card_chargeDeclinedIncorrectCvc",
    code: "incorrect_cvc",
    decline_code: "incorrect_cvc",
    advice_code: "confirm_card_data",
    param: "cvc",
    message: "Your card's security code is incorrect.",
  },
  {
    token: "pm_card_chargeDeclinedExpiredCard",
    code: "expired_card",
    decline_code: "expired_card",
    advice_code: "confirm_card_data",
    param: "exp_month",
    message: "Your card has expired.",
  },
] as const;

describe("declining test cards", () => {
  it.each(DECLINES)("$token answers $code / $decline_code with advice $advice_code", async (card) => {
    const tag = testTag();
    const error = await caught(() =>
      stripe.paymentIntents.create({
        amount: 2500,
        currency: "eur",
        metadata: tag,
        payment_method: card.token,
        confirm: true,
        automatic_payment_methods: NO_REDIRECTS,
      }),
    );

    const expected = {
      code: card.code,
      decline_code: card.decline_code,
      advice_code: card.advice_code,
      message: card.message,
      ...("param" in card ? { param: card.param } : {}),
    };
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({ statusCode: 402, rawType: "card_error", ...expected });
    const [intent] = emulator.paymentIntents({ metadata: tag });
    expect(intent).toMatchObject({
      status: "requires_payment_method",
      last_payment_error: { type: "card_error", ...expected },
    });

    const charge = await stripe.charges.retrieve(String(intent?.latest_charge));
    expect(charge).toMatchObject({
      status: "failed",
      paid: false,
      failure_code: card.code,
      failure_message: card.message,
      outcome: { type: "issuer_declined", reason: card.decline_code, advice_code: card.advice_code },
    });
    const events = await stripe.events.list({ created: { gte: charge.created } });
    const types = events.data.filter((event) => relatesTo(event, intent?.id ?? "")).map((event) => event.type);
    expect(types).toEqual(["payment_intent.payment_failed", "charge.failed", "payment_intent.created"]);
  });

  it("answers a fraudulent decline without an advice code, as Stripe does", async () => {
    const error = await caught(() =>
      stripe.paymentIntents.create({
        amount: 2500,
        currency: "eur",
        payment_method: "pm_card_chargeDeclinedFraudulent",
        confirm: true,
        automatic_payment_methods: NO_REDIRECTS,
      }),
    );
    expect(error).toMatchObject({ code: "card_declined", decline_code: "fraudulent" });
    expect(error).not.toHaveProperty("advice_code", expect.anything());
  });

  it("accepts the pm_card_visa_… names of Stripe's testing page and the short ones alike", async () => {
    for (const token of ["pm_card_visa_chargeDeclinedLostCard", "pm_card_chargeDeclinedStolenCard", "pm_card_visa_chargeDeclined"]) {
      const error = await caught(() =>
        stripe.paymentIntents.create({ amount: 900, currency: "usd", payment_method: token, confirm: true, automatic_payment_methods: NO_REDIRECTS }),
      );
      expect(error).toMatchObject({ statusCode: 402, code: "card_declined" });
    }
  });

  it("lets the customer pay with another card after a decline", async () => {
    const tag = testTag();
    await caught(() =>
      stripe.paymentIntents.create({
        amount: 1200,
        currency: "usd",
        metadata: tag,
        payment_method: "pm_card_chargeDeclinedLostCard",
        confirm: true,
        automatic_payment_methods: NO_REDIRECTS,
      }),
    );
    const [declined] = emulator.paymentIntents({ metadata: tag });
    const paid = await stripe.paymentIntents.confirm(declined?.id ?? "", { payment_method: "pm_card_visa" });
    expect(paid).toMatchObject({ status: "succeeded", last_payment_error: null });
  });
});

function relatesTo(event: Stripe.Event, paymentIntentId: string): boolean {
  const object = event.data.object as { id?: string; payment_intent?: unknown };
  return object.id === paymentIntentId || object.payment_intent === paymentIntentId;
}
