import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { type StripeEmulator } from "./index";
import { NO_REDIRECTS, adminRequest, caught, field, rawRequest, stripeFor, testTag, startEmulatorForFile } from "./test-helpers";

let emulator: StripeEmulator;
let stripe: Stripe;
startEmulatorForFile({}, (started, client) => {
  emulator = started;
  stripe = client;
});

describe("creating and reading PaymentIntents", () => {
  it("creates a PaymentIntent with Stripe's shape and retrieves it", async () => {
    const created = await stripe.paymentIntents.create({
      amount: 2000,
      currency: "usd",
      metadata: { order_id: "42" },
      description: "Order 42",
    });

    expect(created).toMatchObject({
      object: "payment_intent",
      amount: 2000,
      currency: "usd",
      status: "requires_payment_method",
      livemode: false,
      metadata: { order_id: "42" },
      description: "Order 42",
      latest_charge: null,
      automatic_payment_methods: { enabled: true },
    });
    expect(created.id).toMatch(/^pi_\w{24}$/);
    expect(created.client_secret).toMatch(new RegExp(`^${created.id}_secret_\\w+$`));
    expect(created.lastResponse.requestId).toMatch(/^req_/);
    expect(created.lastResponse.headers["stripe-version"]).toBe(Stripe.API_VERSION);

    const retrieved = await stripe.paymentIntents.retrieve(created.id);
    expect(retrieved).toEqual(created);
  });

  it("answers 404 resource_missing for an unknown id", async () => {
    const error = await caught(() => stripe.paymentIntents.retrieve("pi_doesnotexist"));
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 404, code: "resource_missing", param: "intent" });
  });

  it("lists newest first with cursor pagination and a created filter", async () => {
    const client = stripeFor(emulator, { apiKey: "sk_test_list_account" });
    const ids: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      ids.push((await client.paymentIntents.create({ amount: 100 + index, currency: "eur" })).id);
    }
    const newestFirst = [...ids].reverse();

    const first = await client.paymentIntents.list({ limit: 2 });
    expect(first).toMatchObject({ object: "list", url: "/v1/payment_intents", has_more: true });
    expect(first.data.map((intent) => intent.id)).toEqual(newestFirst.slice(0, 2));

    const second = await client.paymentIntents.list({ limit: 2, starting_after: newestFirst[1] });
    expect(second.data.map((intent) => intent.id)).toEqual(newestFirst.slice(2, 4));

    const last = await client.paymentIntents.list({ limit: 2, starting_after: newestFirst[3] });
    expect(last.data.map((intent) => intent.id)).toEqual(newestFirst.slice(4));
    expect(last.has_more).toBe(false);

    const back = await client.paymentIntents.list({ limit: 2, ending_before: newestFirst[4] });
    expect(back.data.map((intent) => intent.id)).toEqual(newestFirst.slice(2, 4));

    const all: string[] = [];
    for await (const intent of client.paymentIntents.list({ limit: 2 })) all.push(intent.id);
    expect(all).toEqual(newestFirst);

    const created = first.data[0]?.created ?? 0;
    const future = await client.paymentIntents.list({ created: { gt: created + 60 } });
    expect(future.data).toEqual([]);
    const recent = await client.paymentIntents.list({ created: { gte: created - 60 }, limit: 100 });
    expect(recent.data).toHaveLength(5);
  });

  it("searches by metadata and status", async () => {
    const tag = testTag();
    const paid = await stripe.paymentIntents.create({
      amount: 1500,
      currency: "usd",
      metadata: { ...tag, kind: "paid" },
      payment_method: "pm_card_visa",
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
    });
    await stripe.paymentIntents.create({ amount: 1500, currency: "usd", metadata: { ...tag, kind: "open" } });

    const byTag = await stripe.paymentIntents.search({ query: `metadata['test_run']:'${tag.test_run}'` });
    expect(byTag).toMatchObject({ object: "search_result", url: "/v1/payment_intents/search", has_more: false, next_page: null });
    expect(byTag.data).toHaveLength(2);

    const succeeded = await stripe.paymentIntents.search({
      query: `metadata["test_run"]:"${tag.test_run}" AND status:'succeeded'`,
    });
    expect(succeeded.data.map((intent) => intent.id)).toEqual([paid.id]);

    const firstPage = await stripe.paymentIntents.search({ query: `metadata['test_run']:'${tag.test_run}'`, limit: 1 });
    expect(firstPage.has_more).toBe(true);
    const secondPage = await stripe.paymentIntents.search({
      query: `metadata['test_run']:'${tag.test_run}'`,
      limit: 1,
      page: firstPage.next_page ?? undefined,
    });
    expect(secondPage.data.map((intent) => intent.id)).toEqual([paid.id]);

    const error = await caught(() => stripe.paymentIntents.search({ query: "customer:'cus_1'" }));
    expect(error).toMatchObject({ statusCode: 400, param: "query" });
  });

  it("keeps each secret key's objects to itself", async () => {
    const mine = await stripeFor(emulator, { apiKey: "sk_test_account_a" }).paymentIntents.create({
      amount: 500,
      currency: "usd",
    });
    const error = await caught(() => stripeFor(emulator, { apiKey: "sk_test_account_b" }).paymentIntents.retrieve(mine.id));
    expect(error).toMatchObject({ statusCode: 404, code: "resource_missing" });
  });
});

describe("confirming with test cards", () => {
  it("pm_card_visa succeeds and stores a charge", async () => {
    const intent = await stripe.paymentIntents.create({
      amount: 2500,
      currency: "usd",
      payment_method: "pm_card_visa",
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
      expand: ["latest_charge", "payment_method"],
    });

    expect(intent.status).toBe("succeeded");
    expect(intent.amount_received).toBe(2500);
    expect(intent.latest_charge).toMatchObject({
      object: "charge",
      amount: 2500,
      amount_captured: 2500,
      paid: true,
      status: "succeeded",
      payment_intent: intent.id,
      payment_method_details: { type: "card", card: { brand: "visa", last4: "4242" } },
    });
    // Like Stripe, the test token becomes a PaymentMethod of its own.
    expect(intent.payment_method).toMatchObject({ object: "payment_method", card: { last4: "4242" } });
    expect(field(intent.payment_method, "id")).toMatch(/^pm_\w{24}$/);

    const chargeId = field(intent.latest_charge, "id");
    expect(chargeId).toMatch(/^ch_/);
    const charge = await stripe.charges.retrieve(String(chargeId));
    expect(charge.amount).toBe(2500);
  });

  it("creating with a payment method but no confirm waits for confirmation", async () => {
    const intent = await stripe.paymentIntents.create({
      amount: 900,
      currency: "gbp",
      payment_method: "pm_card_mastercard",
      automatic_payment_methods: NO_REDIRECTS,
    });
    expect(intent.status).toBe("requires_confirmation");

    const confirmed = await stripe.paymentIntents.confirm(intent.id);
    expect(confirmed.status).toBe("succeeded");
    expect(confirmed.payment_method).toBe(intent.payment_method);

    const again = await caught(() => stripe.paymentIntents.confirm(intent.id));
    expect(again).toMatchObject({ statusCode: 400, code: "payment_intent_unexpected_state" });
  });

  it("pm_card_chargeDeclined answers a 402 card error that carries the PaymentIntent", async () => {
    const tag = testTag();
    const error = await caught(() =>
      stripe.paymentIntents.create({
        amount: 3000,
        currency: "usd",
        metadata: tag,
        payment_method: "pm_card_chargeDeclined",
        confirm: true,
        automatic_payment_methods: NO_REDIRECTS,
      }),
    );

    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({
      statusCode: 402,
      type: "StripeCardError",
      rawType: "card_error",
      code: "card_declined",
      decline_code: "generic_decline",
      message: "Your card was declined.",
    });
    const declined = emulator.paymentIntents({ metadata: tag });
    expect(declined).toHaveLength(1);
    expect(error).toMatchObject({
      payment_intent: {
        id: declined[0]?.id,
        status: "requires_payment_method",
        last_payment_error: { code: "card_declined", decline_code: "generic_decline", type: "card_error" },
      },
    });
    const failedCharge = await stripe.charges.retrieve(String(field(error, "charge")));
    expect(failedCharge).toMatchObject({ status: "failed", paid: false, failure_code: "card_declined" });

    // The customer can try again with another card on the same PaymentIntent.
    const retried = await stripe.paymentIntents.confirm(declined[0]?.id ?? "", { payment_method: "pm_card_visa" });
    expect(retried.status).toBe("succeeded");
    expect(retried.last_payment_error).toBeNull();
  });

  it("pm_card_authenticationRequired needs action until 3D Secure is completed", async () => {
    const intent = await stripe.paymentIntents.create({
      amount: 4000,
      currency: "eur",
      payment_method: "pm_card_authenticationRequired",
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
    });
    expect(intent.status).toBe("requires_action");
    expect(intent.next_action?.type).toBe("use_stripe_sdk");

    const completed = await adminRequest(emulator, "POST", `/payment_intents/${intent.id}/authenticate`, {
      result: "succeed",
    });
    expect(completed.status).toBe(200);
    expect(completed.json).toMatchObject({ id: intent.id, status: "succeeded", next_action: null });
    expect((await stripe.paymentIntents.retrieve(intent.id)).status).toBe("succeeded");

    const notWaiting = await adminRequest(emulator, "POST", `/payment_intents/${intent.id}/authenticate`, {
      result: "succeed",
    });
    expect(notWaiting.status).toBe(400);
  });

  it("a failed 3D Secure attempt sends the PaymentIntent back to requires_payment_method", async () => {
    const intent = await stripe.paymentIntents.create({
      amount: 4000,
      currency: "eur",
      payment_method: "pm_card_threeDSecure2Required",
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
    });
    const failed = emulator.authenticatePaymentIntent(intent.id, "fail");
    expect(failed).toMatchObject({
      status: "requires_payment_method",
      payment_method: null,
      last_payment_error: { code: "payment_intent_authentication_failure" },
    });
  });

  it("cancels an open PaymentIntent but not a succeeded one", async () => {
    const open = await stripe.paymentIntents.create({ amount: 700, currency: "usd" });
    const canceled = await stripe.paymentIntents.cancel(open.id, { cancellation_reason: "abandoned" });
    expect(canceled).toMatchObject({ status: "canceled", cancellation_reason: "abandoned" });
    expect(canceled.canceled_at).toEqual(expect.any(Number));

    const paid = await stripe.paymentIntents.create({
      amount: 700,
      currency: "usd",
      payment_method: "pm_card_visa",
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
    });
    const error = await caught(() => stripe.paymentIntents.cancel(paid.id));
    expect(error).toMatchObject({
      statusCode: 400,
      code: "payment_intent_unexpected_state",
      payment_intent: { id: paid.id, status: "succeeded" },
    });
  });

  it("captures a manual-capture PaymentIntent", async () => {
    const authorized = await stripe.paymentIntents.create({
      amount: 1000,
      currency: "usd",
      capture_method: "manual",
      payment_method: "pm_card_visa",
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
    });
    expect(authorized).toMatchObject({ status: "requires_capture", amount_capturable: 1000, amount_received: 0 });

    const captured = await stripe.paymentIntents.capture(authorized.id, { amount_to_capture: 600 });
    expect(captured).toMatchObject({ status: "succeeded", amount_received: 600, amount_capturable: 0 });
    const charge = await stripe.charges.retrieve(String(captured.latest_charge));
    expect(charge).toMatchObject({ captured: true, amount_captured: 600, amount_refunded: 400 });
  });
});

describe("validation", () => {
  it("rejects a missing amount with parameter_missing", async () => {
    const response = await rawRequest(emulator, "POST", "/v1/payment_intents", { body: "currency=usd" });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      error: {
        type: "invalid_request_error",
        code: "parameter_missing",
        param: "amount",
        message: "Missing required param: amount.",
        doc_url: "https://stripe.com/docs/error-codes/parameter-missing",
      },
    });
  });

  it("rejects a non-integer amount with parameter_invalid_integer", async () => {
    const response = await rawRequest(emulator, "POST", "/v1/payment_intents", { body: "amount=12.5&currency=usd" });
    expect(response.status).toBe(400);
    expect(field(response.json, "error")).toMatchObject({ code: "parameter_invalid_integer", param: "amount" });
  });

  it("enforces the currency's minimum and Stripe's maximum", async () => {
    const tooSmall = await caught(() => stripe.paymentIntents.create({ amount: 49, currency: "usd" }));
    expect(tooSmall).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(tooSmall).toMatchObject({
      code: "amount_too_small",
      param: "amount",
      message: "Amount must be at least $0.50 usd",
    });
    await expect(stripe.paymentIntents.create({ amount: 30, currency: "gbp" })).resolves.toMatchObject({ amount: 30 });

    const tooLarge = await caught(() => stripe.paymentIntents.create({ amount: 100_000_000, currency: "usd" }));
    expect(tooLarge).toMatchObject({ code: "amount_too_large", param: "amount" });
  });

  it("rejects an unsupported currency", async () => {
    const error = await caught(() => stripe.paymentIntents.create({ amount: 1000, currency: "xyz" }));
    expect(error).toMatchObject({ statusCode: 400, param: "currency" });
    expect(error).toHaveProperty("message", expect.stringMatching(/^Invalid currency: xyz/));
  });

  it("rejects unknown parameters, nested ones included", async () => {
    const top = await rawRequest(emulator, "POST", "/v1/payment_intents", {
      body: "amount=1000&currency=usd&colour=blue",
    });
    expect(field(top.json, "error")).toMatchObject({ code: "parameter_unknown", param: "colour" });

    const nested = await rawRequest(emulator, "POST", "/v1/payment_intents", {
      body: "amount=1000&currency=usd&automatic_payment_methods[enabled]=true&automatic_payment_methods[foo]=1",
    });
    expect(field(nested.json, "error")).toMatchObject({
      code: "parameter_unknown",
      param: "automatic_payment_methods[foo]",
    });
  });

  it("asks for a return_url when confirming with redirects allowed, as Stripe does", async () => {
    const error = await caught(() =>
      stripe.paymentIntents.create({ amount: 1000, currency: "usd", payment_method: "pm_card_visa", confirm: true }),
    );
    expect(error).toMatchObject({ statusCode: 400, type: "StripeInvalidRequestError" });
    expect(error).toHaveProperty("message", expect.stringContaining("return_url"));
  });

  it("rejects an unknown payment method and an unexpandable field", async () => {
    const unknownMethod = await caught(() =>
      stripe.paymentIntents.create({ amount: 1000, currency: "usd", payment_method: "pm_card_nope" }),
    );
    expect(unknownMethod).toMatchObject({ statusCode: 404, code: "resource_missing", param: "payment_method" });

    const badExpand = await caught(() =>
      stripe.paymentIntents.create({ amount: 1000, currency: "usd", expand: ["currency"] }),
    );
    expect(badExpand).toMatchObject({ statusCode: 400, param: "expand" });
  });
});

describe("authentication and routing", () => {
  it("answers 401 without an API key", async () => {
    const response = await rawRequest(emulator, "GET", "/v1/payment_intents", { apiKey: null });
    expect(response.status).toBe(401);
    expect(field(response.json, "error", "type")).toBe("invalid_request_error");
    expect(String(field(response.json, "error", "message"))).toMatch(/^You did not provide an API key/);
  });

  it("answers 401 for a key that is not a test secret key, without echoing it", async () => {
    const error = await caught(() =>
      stripeFor(emulator, { apiKey: "sk_live_abcdefghijklmnop" }).paymentIntents.list(),
    );
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(error).toHaveProperty("message", "Invalid API Key provided: sk_live_************mnop");
  });

  it("accepts the key as Basic auth user, as curl -u sends it", async () => {
    const credentials = Buffer.from("sk_test_curl_user:").toString("base64");
    const response = await rawRequest(emulator, "GET", "/v1/payment_intents?limit=1", {
      apiKey: null,
      headers: { Authorization: `Basic ${credentials}` },
    });
    expect(response.status).toBe(200);
    expect(field(response.json, "object")).toBe("list");
  });

  it("answers 404 for an unknown URL", async () => {
    const response = await rawRequest(emulator, "GET", "/v1/customers");
    expect(response.status).toBe(404);
    expect(String(field(response.json, "error", "message"))).toMatch(/^Unrecognized request URL \(GET: \/v1\/customers\)/);
  });
});

describe("inspection endpoints", () => {
  it("finds PaymentIntents by metadata across accounts", async () => {
    const tag = testTag();
    await stripeFor(emulator, { apiKey: "sk_test_inspect_a" }).paymentIntents.create({ amount: 100, currency: "usd", metadata: tag });
    await stripeFor(emulator, { apiKey: "sk_test_inspect_b" }).paymentIntents.create({ amount: 200, currency: "usd", metadata: tag });

    const response = await adminRequest(emulator, "GET", `/payment_intents?metadata[test_run]=${tag.test_run}`);
    expect(response.status).toBe(200);
    const data = field(response.json, "data");
    expect(Array.isArray(data) ? data.map((intent) => field(intent, "amount")).sort() : data).toEqual([100, 200]);
    expect(emulator.paymentIntents({ metadata: tag })).toHaveLength(2);
  });

  it("counts requests by route", async () => {
    const before = emulator.stats();
    await stripe.paymentIntents.list({ limit: 1 });
    const after = (await adminRequest(emulator, "GET", "/stats")).json;
    expect(field(after, "requests")).toBe(before.requests + 1);
    expect(field(after, "requestsByRoute", "GET /v1/payment_intents")).toBe(
      (before.requestsByRoute["GET /v1/payment_intents"] ?? 0) + 1,
    );
  });
});
