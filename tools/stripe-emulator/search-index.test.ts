import type Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type StripeEmulator, startStripeEmulator } from "./index";
import { NO_REDIRECTS, stripeFor, testTag } from "./test-helpers";

const LAG_MS = 60_000;

let emulator: StripeEmulator;
let stripe: Stripe;
// Search lag runs on the emulator's clock; the tests move it instead of waiting a minute.
let clockMs = Date.now();

beforeAll(async () => {
  emulator = await startStripeEmulator({ now: () => clockMs });
  stripe = stripeFor(emulator);
});

afterEach(() => {
  emulator.resetFaults();
});

afterAll(async () => {
  await emulator.close();
});

async function searchIds(query: string): Promise<string[]> {
  return (await stripe.paymentIntents.search({ query })).data.map((intent) => intent.id);
}

describe("searchLagMs", () => {
  it("hides a new PaymentIntent from search until the lag has passed; list and retrieve see it at once", async () => {
    emulator.setFaults({ searchLagMs: LAG_MS });
    const tag = testTag();
    const query = `metadata['test_run']:'${tag.test_run}'`;
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: "usd", metadata: tag });

    expect(await searchIds(query)).toEqual([]);
    const listed = await stripe.paymentIntents.list({ created: { gte: intent.created } });
    expect(listed.data.map((listedIntent) => listedIntent.id)).toContain(intent.id);
    await expect(stripe.paymentIntents.retrieve(intent.id)).resolves.toMatchObject({ metadata: tag });

    clockMs += LAG_MS - 1;
    expect(await searchIds(query)).toEqual([]);
    clockMs += 1;
    expect(await searchIds(query)).toEqual([intent.id]);
  });

  it("matches a changed PaymentIntent as it was until the change is indexed", async () => {
    emulator.setFaults({ searchLagMs: LAG_MS });
    const tag = testTag();
    const byTag = `metadata['test_run']:'${tag.test_run}'`;
    const intent = await stripe.paymentIntents.create({
      amount: 1000,
      currency: "usd",
      metadata: tag,
      payment_method: "pm_card_visa",
      automatic_payment_methods: NO_REDIRECTS,
    });
    clockMs += LAG_MS;

    const confirmed = await stripe.paymentIntents.confirm(intent.id);
    expect(confirmed.status).toBe("succeeded");

    expect(await searchIds(`${byTag} AND status:'requires_confirmation'`)).toEqual([intent.id]);
    expect(await searchIds(`${byTag} AND status:'succeeded'`)).toEqual([]);
    clockMs += LAG_MS;
    expect(await searchIds(`${byTag} AND status:'requires_confirmation'`)).toEqual([]);
    expect(await searchIds(`${byTag} AND status:'succeeded'`)).toEqual([intent.id]);
  });

  it("is off by default: search is read-after-write", async () => {
    const tag = testTag();
    const intent = await stripe.paymentIntents.create({ amount: 1000, currency: "usd", metadata: tag });
    expect(await searchIds(`metadata['test_run']:'${tag.test_run}'`)).toEqual([intent.id]);
  });
});
