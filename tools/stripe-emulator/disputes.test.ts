import type Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { type StripeEmulator, startStripeEmulator } from "./index";
import { NO_REDIRECTS, adminRequest, caught, stripeFor, startEmulatorForFile } from "./test-helpers";

let emulator: StripeEmulator;
let stripe: Stripe;
// Disputes open only when a test calls settle(): deterministic.
startEmulatorForFile({ asyncSettleMs: null }, (started, client) => {
  emulator = started;
  stripe = client;
});

async function disputedPayment(amount = 4200): Promise<{ intent: Stripe.PaymentIntent; dispute: Stripe.Dispute }> {
  const intent = await stripe.paymentIntents.create({
    amount,
    currency: "usd",
    payment_method: "pm_card_createDispute",
    confirm: true,
    automatic_payment_methods: NO_REDIRECTS,
  });
  expect(emulator.settle(intent.id)).toEqual([intent.latest_charge]);
  const [dispute] = (await stripe.disputes.list({ payment_intent: intent.id })).data;
  if (!dispute) throw new Error("no dispute was opened");
  return { intent, dispute };
}

function eventTypesOf(disputeId: string): string[] {
  return emulator
    .events()
    .filter((event) => event.data.object.id === disputeId)
    .map((event) => event.type)
    .reverse();
}

describe("pm_card_createDispute", () => {
  it("succeeds, then its charge is disputed as fraudulent", async () => {
    const intent = await stripe.paymentIntents.create({
      amount: 4200,
      currency: "usd",
      payment_method: "pm_card_createDispute",
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
    });
    expect(intent.status).toBe("succeeded");
    expect((await stripe.disputes.list({ payment_intent: intent.id })).data).toEqual([]);

    emulator.settle(intent.id);

    const [dispute] = (await stripe.disputes.list({ payment_intent: intent.id })).data;
    expect(dispute).toMatchObject({
      object: "dispute",
      amount: 4200,
      currency: "usd",
      charge: intent.latest_charge,
      payment_intent: intent.id,
      reason: "fraudulent",
      status: "needs_response",
      is_charge_refundable: false,
      livemode: false,
    });
    expect(dispute?.id).toMatch(/^du_/);
    expect(await stripe.disputes.retrieve(dispute?.id ?? "")).toEqual(dispute);
    expect(await stripe.charges.retrieve(String(intent.latest_charge))).toMatchObject({ disputed: true });

    const created = emulator.events({ type: "charge.dispute.created" }).find((event) => event.data.object.id === dispute?.id);
    expect(created).toMatchObject({ data: { object: { status: "needs_response" } }, request: { id: null, idempotency_key: null } });
    expect(eventTypesOf(dispute?.id ?? "")).toEqual(["charge.dispute.created", "charge.dispute.funds_withdrawn"]);
  });

  it("refuses to refund a charged-back payment with charge_disputed", async () => {
    const { intent } = await disputedPayment();
    const error = await caught(() => stripe.refunds.create({ payment_intent: intent.id }));
    expect(error).toMatchObject({ statusCode: 400, code: "charge_disputed" });
  });

  it("closes as won or lost when the admin operation decides it", async () => {
    const won = await disputedPayment();
    expect(emulator.closeDispute(won.dispute.id, "won")).toMatchObject({ status: "won" });
    expect(eventTypesOf(won.dispute.id)).toEqual([
      "charge.dispute.created",
      "charge.dispute.funds_withdrawn",
      "charge.dispute.closed",
      "charge.dispute.funds_reinstated",
    ]);

    const lost = await disputedPayment();
    const answer = await adminRequest(emulator, "POST", `/disputes/${lost.dispute.id}/close`, { status: "lost" });
    expect(answer).toMatchObject({ status: 200, json: { id: lost.dispute.id, status: "lost" } });
    expect(eventTypesOf(lost.dispute.id).at(-1)).toBe("charge.dispute.closed");

    const again = await adminRequest(emulator, "POST", `/disputes/${lost.dispute.id}/close`, { status: "won" });
    expect(again.status).toBe(400);
  });

  it("is decided by winning_evidence or losing_evidence, as in test mode", async () => {
    const winning = await disputedPayment();
    const submitted = await stripe.disputes.update(winning.dispute.id, { evidence: { uncategorized_text: "winning_evidence" } });
    expect(submitted).toMatchObject({
      status: "under_review",
      evidence: { uncategorized_text: "winning_evidence" },
      evidence_details: { has_evidence: true, submission_count: 1 },
    });
    expect(emulator.settle(winning.dispute.id)).toEqual([winning.dispute.id]);
    expect(await stripe.disputes.retrieve(winning.dispute.id)).toMatchObject({ status: "won" });
    expect(eventTypesOf(winning.dispute.id)).toEqual([
      "charge.dispute.created",
      "charge.dispute.funds_withdrawn",
      "charge.dispute.updated",
      "charge.dispute.closed",
      "charge.dispute.funds_reinstated",
    ]);

    const losing = await disputedPayment();
    await stripe.disputes.update(losing.dispute.id, { evidence: { uncategorized_text: "losing_evidence" } });
    emulator.settle(losing.dispute.id);
    expect(await stripe.disputes.retrieve(losing.dispute.id)).toMatchObject({ status: "lost" });

    const late = await caught(() => stripe.disputes.update(losing.dispute.id, { evidence: { uncategorized_text: "more" } }));
    expect(late).toMatchObject({ statusCode: 400 });
  });

  it("is lost when the merchant closes it (accepts it)", async () => {
    const { dispute } = await disputedPayment();
    expect(await stripe.disputes.close(dispute.id)).toMatchObject({ status: "lost" });
    expect(eventTypesOf(dispute.id).at(-1)).toBe("charge.dispute.closed");
    expect(await caught(() => stripe.disputes.close(dispute.id))).toMatchObject({ statusCode: 400 });
  });

  it("disputes a manual-capture payment only once it is captured", async () => {
    const authorized = await stripe.paymentIntents.create({
      amount: 3000,
      currency: "usd",
      capture_method: "manual",
      payment_method: "pm_card_createDispute",
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
    });
    expect(emulator.settle(authorized.id)).toEqual([]);

    await stripe.paymentIntents.capture(authorized.id);
    expect(emulator.settle(authorized.id)).toEqual([authorized.latest_charge]);
    expect(emulator.disputes({ payment_intent: authorized.id })).toMatchObject([{ amount: 3000, status: "needs_response" }]);
  });

  it("expands the charge and answers 404 for an unknown dispute", async () => {
    const { dispute, intent } = await disputedPayment();
    const expanded = await stripe.disputes.retrieve(dispute.id, { expand: ["charge"] });
    expect(expanded.charge).toMatchObject({ id: intent.latest_charge, disputed: true });
    expect(await caught(() => stripe.disputes.retrieve("du_missing"))).toMatchObject({ statusCode: 404, code: "resource_missing" });
  });
});

describe("without settle()", () => {
  it("opens the dispute by itself shortly after the payment", async () => {
    const own = await startStripeEmulator({ asyncSettleMs: 5 });
    try {
      const client = stripeFor(own);
      const intent = await client.paymentIntents.create({
        amount: 1500,
        currency: "eur",
        payment_method: "pm_card_createDisputeProductNotReceived",
        confirm: true,
        automatic_payment_methods: NO_REDIRECTS,
      });
      await expect.poll(() => own.disputes({ payment_intent: intent.id }).length).toBe(1);
      expect(own.disputes()[0]).toMatchObject({ reason: "product_not_received", status: "needs_response" });
    } finally {
      await own.close();
    }
  });
});
