import {
  MAXIMUM_CHARGE_AMOUNT,
  SUPPORTED_CURRENCIES,
  formatAmount,
  minimumChargeAmount,
} from "./currencies";
import { type UsableConfirmationToken, readReturnUrl, usableConfirmationToken } from "./confirmation-tokens";
import { scheduleDispute } from "./disputes";
import { invalidRequest, invalidState, missingParam, resourceMissing } from "./errors";
import { LIST_PARAMS, SEARCH_PARAMS, newestFirst, paginateList, paginateSearch } from "./list-pagination";
import { newId } from "./new-id";
import type {
  AutomaticPaymentMethods,
  CancellationReason,
  CaptureMethod,
  JsonObject,
  ListObject,
  Metadata,
  PaymentIntent,
  PaymentIntentStatus,
  SearchResult,
} from "./objects";
import { type Params, inRange } from "./params";
import { type ConfirmationOptions, attemptPayment } from "./payment-attempts";
import type { ApiContext, Route } from "./routes";
import { matchesSearch, parseSearchQuery } from "./search-query";
import {
  type AttachedPaymentMethod,
  type PaymentMethodChoice,
  attachPaymentMethod,
  choosePaymentMethod,
} from "./test-payment-methods";

const CAPTURE_METHODS: readonly CaptureMethod[] = ["automatic", "automatic_async", "manual"];
const CANCELLATION_REASONS: readonly CancellationReason[] = [
  "duplicate",
  "fraudulent",
  "requested_by_customer",
  "abandoned",
];
const CONFIRMABLE: readonly PaymentIntentStatus[] = ["requires_payment_method", "requires_confirmation", "requires_action"];
const CANCELABLE: readonly PaymentIntentStatus[] = [
  "requires_payment_method",
  "requires_capture",
  "requires_confirmation",
  "requires_action",
  "processing",
];

const MISSING_PAYMENT_METHOD =
  "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.";

const RETURN_URL_REQUIRED =
  "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.";

/** A create request that passed validation; nothing has been stored yet. */
interface NewPaymentIntent {
  amount: number;
  currency: string;
  metadata: Metadata;
  description: string | null;
  receiptEmail: string | null;
  captureMethod: CaptureMethod;
  methods: PaymentMethodSettings;
  paymentMethod: PaymentMethodChoice | undefined;
  confirm: boolean;
  confirmation: ConfirmationRequest;
}

function createPaymentIntent(context: ApiContext): PaymentIntent {
  const request = readCreateParams(context);
  const attached =
    request.paymentMethod && attachPaymentMethod(context.account.paymentMethods, request.paymentMethod, context.nowSeconds());
  const intent = buildPaymentIntent(request, attached, context.nowSeconds());
  context.account.paymentIntents.set(intent.id, intent);
  context.emit("payment_intent.created", intent);
  if (request.confirm && attached) {
    markTokenUsed(request.confirmation.token, intent);
    attemptPayment(context, intent, attached, request.confirmation.options);
  }
  return intent;
}

function readCreateParams(context: ApiContext): NewPaymentIntent {
  const { params } = context;
  params.allowOnly([
    "amount",
    "currency",
    "metadata",
    "description",
    "receipt_email",
    "payment_method",
    "payment_method_types",
    "automatic_payment_methods",
    "confirm",
    "confirmation_token",
    "return_url",
    "use_stripe_sdk",
    "capture_method",
  ]);
  const amount = params.requiredInteger("amount");
  const currency = readCurrency(params);
  checkAmount(amount, currency);
  const methods = readPaymentMethodSettings(params);
  const confirm = params.boolean("confirm") ?? false;
  for (const confirmOnly of ["return_url", "confirmation_token", "use_stripe_sdk"]) {
    if (params.has(confirmOnly) && !confirm) {
      throw invalidRequest(`The parameter \`${confirmOnly}\` can only be used when \`confirm\` is true.`, { param: confirmOnly });
    }
  }
  const confirmation = readConfirmation(context);
  const paymentMethod = confirmation.paymentMethod;
  if (confirm) {
    if (!paymentMethod) throw invalidRequest(MISSING_PAYMENT_METHOD, { code: "payment_intent_unexpected_state" });
    checkRedirectsHandled(methods.automatic_payment_methods, confirmation.options.returnUrl);
  }
  return {
    amount,
    currency,
    metadata: params.metadata() ?? {},
    // Stripe treats an empty string as "unset".
    description: params.string("description") || null,
    receiptEmail: params.string("receipt_email") || null,
    captureMethod: params.oneOf("capture_method", CAPTURE_METHODS) ?? "automatic_async",
    methods,
    paymentMethod,
    confirm,
    confirmation,
  };
}

/** What a confirmation (on create with `confirm=true`, or on confirm) pays with and how it comes back. */
interface ConfirmationRequest {
  paymentMethod: PaymentMethodChoice | undefined;
  /** Marked used once the confirmation runs. */
  token: UsableConfirmationToken | undefined;
  options: ConfirmationOptions;
}

/**
 * `payment_method`, or `confirmation_token` (docs.stripe.com/api/confirmation_tokens): the token's
 * card becomes a new PaymentMethod, and its `return_url` and `use_stripe_sdk` apply unless the
 * request gives its own. Both at once are refused: the emulator keeps one source of the card per
 * confirmation rather than pick one silently.
 */
function readConfirmation(context: ApiContext): ConfirmationRequest {
  const { params, account } = context;
  const paymentMethodId = params.string("payment_method");
  const tokenId = params.string("confirmation_token");
  if (paymentMethodId !== undefined && tokenId !== undefined) {
    throw invalidRequest("You may only specify one of these parameters: confirmation_token, payment_method.", {
      param: "confirmation_token",
    });
  }
  const token = tokenId === undefined ? undefined : usableConfirmationToken(context, tokenId);
  const paymentMethod = token
    ? token.choice
    : paymentMethodId
      ? choosePaymentMethod(account.paymentMethods, paymentMethodId, "payment_method")
      : undefined;
  const returnUrl = readReturnUrl(params) ?? token?.stored.token.return_url ?? undefined;
  const useStripeSdk = params.boolean("use_stripe_sdk") ?? token?.stored.token.use_stripe_sdk ?? false;
  return { paymentMethod, token, options: { returnUrl, useStripeSdk } };
}

/** A ConfirmationToken confirms one PaymentIntent once; it records which. */
function markTokenUsed(token: UsableConfirmationToken | undefined, intent: PaymentIntent): void {
  if (token) token.stored.token.payment_intent = intent.id;
}

function buildPaymentIntent(
  request: NewPaymentIntent,
  attached: AttachedPaymentMethod | undefined,
  createdAt: number,
): PaymentIntent {
  const id = newId("pi");
  return {
    id,
    object: "payment_intent",
    amount: request.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: request.methods.automatic_payment_methods,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: request.captureMethod,
    client_secret: `${id}_secret_${newId("x").slice(2)}`,
    confirmation_method: "automatic",
    created: createdAt,
    currency: request.currency,
    customer: null,
    description: request.description,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: request.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: attached?.paymentMethod.id ?? null,
    payment_method_configuration_details: null,
    payment_method_options: { card: { request_three_d_secure: "automatic" } },
    payment_method_types: request.methods.payment_method_types,
    processing: null,
    receipt_email: request.receiptEmail,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: attached ? "requires_confirmation" : "requires_payment_method",
    transfer_data: null,
    transfer_group: null,
  };
}

/**
 * With the secret key, the PaymentIntent. With the publishable key (Stripe.js's
 * retrievePaymentIntent and handleNextAction), only with its `client_secret`, and only the fields
 * Stripe returns to a browser (docs.stripe.com/api/payment_intents/retrieve: "If you retrieve a
 * PaymentIntent with a publishable key, it only returns a subset of properties"); a wrong or
 * missing secret answers as an unknown id would.
 */
function retrievePaymentIntent(context: ApiContext): JsonObject {
  context.params.allowOnly(["client_secret"]);
  const intent = findPaymentIntent(context);
  if (!context.publishableKey) return intent;
  if (context.params.string("client_secret") !== intent.client_secret) {
    throw resourceMissing("payment_intent", context.resourceId, "intent");
  }
  return Object.fromEntries(PUBLISHABLE_FIELDS.map((field) => [field, intent[field]]));
}

/** The PaymentIntent fields Stripe.js gets (@stripe/stripe-js's api/payment-intents.d.ts). */
const PUBLISHABLE_FIELDS = [
  "id",
  "object",
  "amount",
  "automatic_payment_methods",
  "canceled_at",
  "cancellation_reason",
  "capture_method",
  "client_secret",
  "confirmation_method",
  "created",
  "currency",
  "description",
  "last_payment_error",
  "livemode",
  "next_action",
  "payment_method",
  "payment_method_types",
  "processing",
  "receipt_email",
  "setup_future_usage",
  "shipping",
  "status",
] as const satisfies ReadonlyArray<keyof PaymentIntent>;

function listPaymentIntents(context: ApiContext): ListObject<PaymentIntent> {
  const { params } = context;
  params.allowOnly([...LIST_PARAMS, "created"]);
  const created = params.range("created");
  const matching = newestFirst(context.account.paymentIntents).filter((intent) => inRange(intent.created, created));
  return paginateList(matching, params, "/v1/payment_intents", "payment_intent");
}

function searchPaymentIntents(context: ApiContext): SearchResult<PaymentIntent> {
  const { params } = context;
  params.allowOnly(SEARCH_PARAMS);
  const clauses = parseSearchQuery(params.requiredString("query"));
  // Matched as the search index last saw each object; list and retrieve are never behind.
  const matching = newestFirst(context.account.paymentIntents).filter((intent) => {
    const indexed = context.searchable(intent);
    return indexed !== undefined && matchesSearch(indexed, clauses);
  });
  return paginateSearch(matching, params, "/v1/payment_intents/search");
}

function confirmPaymentIntent(context: ApiContext): PaymentIntent {
  const { params, account } = context;
  params.allowOnly(["payment_method", "confirmation_token", "return_url", "use_stripe_sdk"]);
  const intent = findPaymentIntent(context);
  const confirmation = readConfirmation(context);
  const choice = confirmation.paymentMethod;
  checkRedirectsHandled(intent.automatic_payment_methods, confirmation.options.returnUrl);
  if (!CONFIRMABLE.includes(intent.status)) {
    const message =
      intent.status === "succeeded"
        ? "You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed."
        : `You cannot confirm this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be confirmed: ${CONFIRMABLE.join(", ")}.`;
    throw invalidState(message, { code: "payment_intent_unexpected_state", paymentIntent: intent });
  }
  const attached = choice ? attachPaymentMethod(account.paymentMethods, choice, context.nowSeconds()) : currentPaymentMethod(context, intent);
  if (!attached) {
    throw invalidState(MISSING_PAYMENT_METHOD, { code: "payment_intent_unexpected_state", paymentIntent: intent });
  }
  markTokenUsed(confirmation.token, intent);
  attemptPayment(context, intent, attached, confirmation.options);
  return intent;
}

function cancelPaymentIntent(context: ApiContext): PaymentIntent {
  const { params } = context;
  params.allowOnly(["cancellation_reason"]);
  const reason = params.oneOf("cancellation_reason", CANCELLATION_REASONS) ?? null;
  const intent = findPaymentIntent(context);
  if (!CANCELABLE.includes(intent.status)) {
    throw invalidState(
      `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(", ")}.`,
      { code: "payment_intent_unexpected_state", paymentIntent: intent },
    );
  }
  releaseAuthorization(context, intent);
  intent.status = "canceled";
  intent.canceled_at = context.nowSeconds();
  intent.cancellation_reason = reason;
  intent.next_action = null;
  intent.amount_capturable = 0;
  context.emit("payment_intent.canceled", intent);
  return intent;
}

function capturePaymentIntent(context: ApiContext): PaymentIntent {
  const { params, account } = context;
  params.allowOnly(["amount_to_capture"]);
  const intent = findPaymentIntent(context);
  const amountToCapture = params.integer("amount_to_capture") ?? intent.amount_capturable;
  if (intent.status !== "requires_capture") {
    throw invalidState(
      `This PaymentIntent could not be captured because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
      { code: "payment_intent_unexpected_state", paymentIntent: intent },
    );
  }
  if (amountToCapture < 1 || amountToCapture > intent.amount_capturable) {
    throw invalidState(
      `The amount to capture must be a positive integer no larger than the amount capturable (${intent.amount_capturable}).`,
      { code: "amount_too_large", param: "amount_to_capture" },
    );
  }
  const charge = intent.latest_charge === null ? undefined : account.charges.get(intent.latest_charge);
  if (charge) {
    charge.captured = true;
    charge.amount_captured = amountToCapture;
    // Stripe refunds the part of an authorization that is not captured.
    charge.amount_refunded = charge.amount - amountToCapture;
    context.emit("charge.captured", charge);
    // A dispute needs money that moved: a disputing test card's charge is disputed once captured.
    scheduleDispute(account, charge);
  }
  intent.status = "succeeded";
  intent.amount_received = amountToCapture;
  intent.amount_capturable = 0;
  context.emit("payment_intent.succeeded", intent);
  return intent;
}

/** Canceling an authorized but uncaptured PaymentIntent gives the whole amount back. */
function releaseAuthorization(context: ApiContext, intent: PaymentIntent): void {
  if (intent.status !== "requires_capture" || intent.latest_charge === null) return;
  const charge = context.account.charges.get(intent.latest_charge);
  if (!charge) return;
  charge.amount_refunded = charge.amount;
  charge.refunded = true;
}

function findPaymentIntent(context: ApiContext): PaymentIntent {
  const intent = context.account.paymentIntents.get(context.resourceId);
  if (!intent) throw resourceMissing("payment_intent", context.resourceId, "intent");
  return intent;
}

function currentPaymentMethod(context: ApiContext, intent: PaymentIntent): AttachedPaymentMethod | undefined {
  return intent.payment_method === null ? undefined : context.account.paymentMethods.get(intent.payment_method);
}

function readCurrency(params: Params): string {
  const currency = params.requiredString("currency").toLowerCase();
  if (minimumChargeAmount(currency) === undefined) {
    throw invalidRequest(
      `Invalid currency: ${currency}. Stripe currently supports these currencies: ${SUPPORTED_CURRENCIES.join(", ")}`,
      { param: "currency" },
    );
  }
  return currency;
}

function checkAmount(amount: number, currency: string): void {
  const minimum = minimumChargeAmount(currency) ?? 1;
  if (amount < minimum) {
    throw invalidRequest(`Amount must be at least ${formatAmount(minimum, currency)} ${currency}`, {
      param: "amount",
      code: "amount_too_small",
    });
  }
  if (amount > MAXIMUM_CHARGE_AMOUNT) {
    throw invalidRequest(`Amount must be no more than ${formatAmount(MAXIMUM_CHARGE_AMOUNT, currency)}`, {
      param: "amount",
      code: "amount_too_large",
    });
  }
}

interface PaymentMethodSettings {
  automatic_payment_methods: AutomaticPaymentMethods | null;
  payment_method_types: string[];
}

/** Recent API versions turn automatic payment methods on unless `payment_method_types` is given. */
function readPaymentMethodSettings(params: Params): PaymentMethodSettings {
  const types = params.stringList("payment_method_types");
  const automatic = params.object("automatic_payment_methods");
  if (types && automatic) {
    throw invalidRequest(
      "You may only specify one of these parameters: automatic_payment_methods, payment_method_types.",
      { param: "automatic_payment_methods" },
    );
  }
  if (types) {
    const unsupported = types.find((type) => type !== "card");
    if (types.length === 0 || unsupported !== undefined) {
      throw invalidRequest(
        `The payment method type provided: ${unsupported ?? "(none)"} is invalid. The emulator supports: card.`,
        { param: "payment_method_types" },
      );
    }
    return { automatic_payment_methods: null, payment_method_types: types };
  }
  if (!automatic) {
    return { automatic_payment_methods: { allow_redirects: "always", enabled: true }, payment_method_types: ["card"] };
  }
  automatic.allowOnly(["enabled", "allow_redirects"]);
  const enabled = automatic.boolean("enabled");
  if (enabled === undefined) throw missingParam("automatic_payment_methods[enabled]");
  const allowRedirects = automatic.oneOf("allow_redirects", ["always", "never"] as const) ?? "always";
  return {
    automatic_payment_methods: { allow_redirects: allowRedirects, enabled },
    payment_method_types: ["card"],
  };
}

/**
 * Confirming server-side with automatic payment methods that may redirect needs a `return_url`;
 * integrations that never redirect must say so with `allow_redirects: "never"`. Real Stripe
 * rejects this, so the emulator does too rather than let it surface only in test mode.
 */
function checkRedirectsHandled(automatic: AutomaticPaymentMethods | null, returnUrl: string | undefined): void {
  if (automatic?.enabled && automatic.allow_redirects !== "never" && !returnUrl) {
    throw invalidRequest(RETURN_URL_REQUIRED);
  }
}

const SINGLE = { type: "payment_intent", list: false } as const;
const LIST = { type: "payment_intent", list: true } as const;

export const paymentIntentRoutes: readonly Route[] = [
  { method: "POST", pattern: "/v1/payment_intents", returns: SINGLE, handle: createPaymentIntent },
  // Before "/:id", which would otherwise take "search" for an id.
  { method: "GET", pattern: "/v1/payment_intents/search", returns: LIST, handle: searchPaymentIntents },
  { method: "GET", pattern: "/v1/payment_intents", returns: LIST, handle: listPaymentIntents },
  { method: "GET", pattern: "/v1/payment_intents/:id", publishable: true, returns: SINGLE, handle: retrievePaymentIntent },
  { method: "POST", pattern: "/v1/payment_intents/:id/confirm", returns: SINGLE, handle: confirmPaymentIntent },
  { method: "POST", pattern: "/v1/payment_intents/:id/cancel", returns: SINGLE, handle: cancelPaymentIntent },
  { method: "POST", pattern: "/v1/payment_intents/:id/capture", returns: SINGLE, handle: capturePaymentIntent },
];
