import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Stripe from "stripe";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  API_KEY,
  NO_REDIRECTS,
  PUBLISHABLE_KEY,
  cardParams,
  caught,
  confirmationTokenFor,
  field,
  formBody,
  rawRequest,
  stripeFor,
} from "./test-helpers";
import { type StripeEmulator, startStripeEmulator } from "./index";

let dataDir: string;
const running: StripeEmulator[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "stripe-emulator-state-"));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
  await rm(dataDir, { recursive: true, force: true });
});

async function start(options: { asyncSettleMs?: number | null } = {}): Promise<StripeEmulator> {
  const emulator = await startStripeEmulator({ dataDir, asyncSettleMs: null, ...options });
  running.push(emulator);
  return emulator;
}

async function restart(emulator: StripeEmulator): Promise<StripeEmulator> {
  await emulator.close();
  return start();
}

describe("with a data dir", () => {
  it("still knows a payment after a restart: retrieve, refund, replay, events", async () => {
    const before = await start();
    let stripe = stripeFor(before);
    const paymentKey = randomUUID();
    const intent = await stripe.paymentIntents.create(
      { amount: 5000, currency: "usd", payment_method: "pm_card_visa", confirm: true, automatic_payment_methods: NO_REDIRECTS, metadata: { order: "7" } },
      { idempotencyKey: paymentKey },
    );
    const refundKey = randomUUID();
    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 2000 }, { idempotencyKey: refundKey });
    const eventIds = (await stripe.events.list({ limit: 100 })).data.map((event) => event.id);

    const after = await restart(before);
    stripe = stripeFor(after);

    expect(await stripe.paymentIntents.retrieve(intent.id)).toMatchObject({ id: intent.id, status: "succeeded", metadata: { order: "7" } });
    const rest = await stripe.refunds.create({ payment_intent: intent.id });
    expect(rest.amount).toBe(3000);
    expect((await stripe.refunds.list({ payment_intent: intent.id })).data.map((each) => each.id)).toEqual([rest.id, refund.id]);

    const replayedPayment = await stripe.paymentIntents.create(
      { amount: 5000, currency: "usd", payment_method: "pm_card_visa", confirm: true, automatic_payment_methods: NO_REDIRECTS, metadata: { order: "7" } },
      { idempotencyKey: paymentKey },
    );
    expect(replayedPayment.id).toBe(intent.id);
    expect(replayedPayment.lastResponse.headers["idempotent-replayed"]).toBe("true");
    const replayedRefund = await stripe.refunds.create({ payment_intent: intent.id, amount: 2000 }, { idempotencyKey: refundKey });
    expect(replayedRefund).toMatchObject({ id: refund.id, status: "succeeded" });
    const mismatch = await caught(() => stripe.refunds.create({ payment_intent: intent.id, amount: 1 }, { idempotencyKey: refundKey }));
    expect(mismatch).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);

    const eventsNow = (await stripe.events.list({ limit: 100 })).data.map((event) => event.id);
    expect(eventsNow.slice(-eventIds.length)).toEqual(eventIds);
    expect(after.paymentIntents()).toHaveLength(1);
  });

  it("keeps accounts apart and never writes an API key to disk", async () => {
    const before = await start();
    const other = stripeFor(before, { apiKey: "sk_test_other_account" });
    const mine = await stripeFor(before).paymentIntents.create({ amount: 900, currency: "eur" });
    await other.paymentIntents.create({ amount: 800, currency: "eur" });
    await before.close();

    const saved = await readFile(path.join(dataDir, "state.json"), "utf8");
    expect(saved).not.toContain(API_KEY);
    expect(saved).not.toContain("sk_test_other_account");

    const after = await start();
    expect((await stripeFor(after).paymentIntents.list()).data.map((intent) => intent.id)).toEqual([mine.id]);
    expect(await caught(() => stripeFor(after, { apiKey: "sk_test_other_account" }).paymentIntents.retrieve(mine.id))).toMatchObject({
      statusCode: 404,
    });
  });

  it("finishes after a restart what was still to happen later", async () => {
    const before = await start();
    const stripe = stripeFor(before);
    const intent = await stripe.paymentIntents.create({
      amount: 2500,
      currency: "usd",
      payment_method: "pm_card_refundFail",
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
    });
    const refund = await stripe.refunds.create({ payment_intent: intent.id });

    const after = await restart(before);

    // The test card is remembered too: settling fails the refund as it would have.
    expect(after.settle()).toEqual([refund.id]);
    expect(await stripeFor(after).refunds.retrieve(refund.id)).toMatchObject({ status: "failed" });
    const again = await restart(after);
    expect(again.settle()).toEqual([]);
    expect(await stripeFor(again).charges.retrieve(String(intent.latest_charge))).toMatchObject({ amount_refunded: 0 });
  });

  it("saves shortly after each request, not only on close", async () => {
    const emulator = await start();
    const intent = await stripeFor(emulator).paymentIntents.create({ amount: 700, currency: "gbp" });
    await expect.poll(async () => (await readFile(path.join(dataDir, "state.json"), "utf8").catch(() => "")).includes(intent.id)).toBe(true);
  });

  it("forgets what reset() forgets", async () => {
    const before = await start();
    await stripeFor(before).paymentIntents.create({ amount: 700, currency: "gbp" });
    before.reset();
    const after = await restart(before);
    expect(after.paymentIntents()).toEqual([]);
  });

  it("refuses to start on a state file it cannot read, rather than overwrite it", async () => {
    await writeFile(path.join(dataDir, "state.json"), "{ not json");
    await expect(startStripeEmulator({ dataDir })).rejects.toThrow(/state\.json is not valid JSON/);
    expect(await readFile(path.join(dataDir, "state.json"), "utf8")).toBe("{ not json");
  });
});

describe("ConfirmationTokens and PaymentMethods across a restart", () => {
  it("still confirms with a token made before the restart, once, and pays with a PaymentMethod made before it", async () => {
    const before = await start();
    const token = await confirmationTokenFor(before, "4242424242424242", { return_url: "https://shop.example/return" });
    const created = await rawRequest(before, "POST", "/v1/payment_methods", {
      apiKey: PUBLISHABLE_KEY,
      body: formBody({ type: "card", card: cardParams("4000000000009995") }),
    });
    const paymentMethod = String(field(created.json, "id"));

    const after = await restart(before);
    const stripe = stripeFor(after);

    expect(await stripe.confirmationTokens.retrieve(token)).toMatchObject({ id: token, payment_intent: null });
    const paid = await stripe.paymentIntents.create({ amount: 1000, currency: "usd", confirm: true, confirmation_token: token });
    expect(paid.status).toBe("succeeded");
    const declined = await caught(() =>
      stripe.paymentIntents.create({ amount: 1000, currency: "usd", confirm: true, payment_method: paymentMethod, automatic_payment_methods: NO_REDIRECTS }),
    );
    expect(declined).toMatchObject({ statusCode: 402, decline_code: "insufficient_funds" });

    const again = await restart(after);
    expect(await stripeFor(again).confirmationTokens.retrieve(token)).toMatchObject({ payment_intent: paid.id });
  });
});
