// Shapes of the Stripe API objects the emulator answers with. They are `type` aliases (not
// interfaces) so they stay assignable to `JsonObject`, which the expansion and snapshot code use.
// Only the fields an integration reads are modelled; the rest of Stripe's fields are present with
// their usual "nothing here" value so that code reading them does not crash.

export type Json = string | number | boolean | null | Json[] | JsonObject;
// `undefined` is allowed because JSON.stringify drops it, which is how optional fields disappear.
export type JsonObject = { [key: string]: Json | undefined };

export type Metadata = Record<string, string>;

export type Address = {
  city: string | null;
  country: string | null;
  line1: string | null;
  line2: string | null;
  postal_code: string | null;
  state: string | null;
};

export type BillingDetails = {
  address: Address;
  email: string | null;
  name: string | null;
  phone: string | null;
};

export type CardFunding = "credit" | "debit" | "prepaid" | "unknown";

export type CardDetails = {
  brand: string;
  country: string;
  exp_month: number;
  exp_year: number;
  fingerprint: string;
  funding: CardFunding;
  last4: string;
};

export type PaymentMethod = {
  id: string;
  object: "payment_method";
  billing_details: BillingDetails;
  card: CardDetails;
  created: number;
  customer: null;
  livemode: false;
  metadata: Metadata;
  type: "card";
};

export type PaymentIntentStatus =
  | "requires_payment_method"
  | "requires_confirmation"
  | "requires_action"
  | "processing"
  | "requires_capture"
  | "canceled"
  | "succeeded";

export type CaptureMethod = "automatic" | "automatic_async" | "manual";

export type CancellationReason = "duplicate" | "fraudulent" | "requested_by_customer" | "abandoned";

/** `last_payment_error` on a PaymentIntent, and the body of a card error. */
export type PaymentError = {
  type: "card_error" | "invalid_request_error";
  code: string;
  message: string;
  doc_url: string;
  charge?: string;
  decline_code?: string;
  /** How to proceed after an issuer decline: docs.stripe.com/declines/card#retrying-issuer-declines. */
  advice_code?: AdviceCode;
  param?: string;
  payment_method: PaymentMethod | null;
};

export type AdviceCode = "try_again_later" | "do_not_try_again" | "confirm_card_data";

/**
 * What the customer must do: 3D Secure through Stripe.js (`use_stripe_sdk`), or, for a PaymentIntent
 * confirmed with a `return_url` and without `use_stripe_sdk`, a redirect of the whole page
 * (docs.stripe.com/payments/3d-secure, "Redirect to the bank's website").
 */
export type NextAction =
  | {
      type: "use_stripe_sdk";
      use_stripe_sdk: { type: "three_d_secure_redirect"; stripe_js: string; source: string };
    }
  | {
      type: "redirect_to_url";
      redirect_to_url: { return_url: string; url: string };
    };

export type AutomaticPaymentMethods = {
  allow_redirects: "always" | "never";
  enabled: boolean;
};

export type PaymentIntent = {
  id: string;
  object: "payment_intent";
  amount: number;
  amount_capturable: number;
  amount_details: { tip: Record<string, never> };
  amount_received: number;
  application: null;
  application_fee_amount: null;
  automatic_payment_methods: AutomaticPaymentMethods | null;
  canceled_at: number | null;
  cancellation_reason: CancellationReason | null;
  capture_method: CaptureMethod;
  client_secret: string;
  confirmation_method: "automatic";
  created: number;
  currency: string;
  customer: null;
  description: string | null;
  last_payment_error: PaymentError | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Metadata;
  next_action: NextAction | null;
  on_behalf_of: null;
  payment_method: string | null;
  payment_method_configuration_details: null;
  payment_method_options: { card: { request_three_d_secure: "automatic" } };
  payment_method_types: string[];
  processing: null;
  receipt_email: string | null;
  review: null;
  setup_future_usage: null;
  shipping: null;
  source: null;
  statement_descriptor: null;
  statement_descriptor_suffix: null;
  status: PaymentIntentStatus;
  transfer_data: null;
  transfer_group: null;
};

/** The card as a ConfirmationToken shows it before a PaymentMethod exists (docs.stripe.com/api/confirmation_tokens/object). */
export type CardPreview = {
  brand: string;
  checks: { address_line1_check: null; address_postal_code_check: null; cvc_check: null };
  country: string;
  display_brand: string;
  exp_month: number;
  exp_year: number;
  funding: CardFunding;
  generated_from: null;
  last4: string;
  networks: { available: string[]; preferred: null };
  three_d_secure_usage: { supported: boolean };
  wallet: null;
};

export type ConfirmationToken = {
  id: string;
  object: "confirmation_token";
  created: number;
  expires_at: number;
  livemode: false;
  mandate_data: null;
  metadata: Metadata;
  /** Set once a PaymentIntent was confirmed with the token: a token is used once. */
  payment_intent: string | null;
  payment_method_options: null;
  payment_method_preview: {
    allow_redisplay: "always" | "limited" | "unspecified";
    billing_details: BillingDetails;
    card: CardPreview;
    customer: null;
    type: "card";
  };
  return_url: string | null;
  setup_future_usage: null;
  setup_intent: null;
  shipping: null;
  use_stripe_sdk: boolean;
};

export type ChargeOutcome = {
  advice_code: AdviceCode | null;
  network_status: "approved_by_network" | "declined_by_network";
  reason: string | null;
  risk_level: "normal";
  seller_message: string;
  type: "authorized" | "issuer_declined";
};

export type Charge = {
  id: string;
  object: "charge";
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  balance_transaction: null;
  billing_details: BillingDetails;
  captured: boolean;
  created: number;
  currency: string;
  description: string | null;
  disputed: boolean;
  failure_code: string | null;
  failure_message: string | null;
  livemode: false;
  metadata: Metadata;
  outcome: ChargeOutcome;
  paid: boolean;
  payment_intent: string;
  payment_method: string;
  payment_method_details: { card: CardDetails; type: "card" };
  receipt_email: string | null;
  refunded: boolean;
  status: "succeeded" | "failed";
};

export type RefundReason = "duplicate" | "fraudulent" | "requested_by_customer";

export type Refund = {
  id: string;
  object: "refund";
  amount: number;
  balance_transaction: null;
  charge: string;
  created: number;
  currency: string;
  metadata: Metadata;
  payment_intent: string;
  reason: RefundReason | null;
  receipt_number: null;
  source_transfer_reversal: null;
  status: RefundStatus;
  /** Present once a refund failed, as on Stripe. */
  failure_reason?: RefundFailureReason;
  transfer_reversal: null;
};

export type RefundStatus = "pending" | "succeeded" | "failed";

export type RefundFailureReason =
  | "lost_or_stolen_card"
  | "expired_or_canceled_card"
  | "charge_for_pending_refund_disputed"
  | "insufficient_funds"
  | "declined"
  | "merchant_request"
  | "unknown";

export type DisputeReason = "fraudulent" | "product_not_received";

export type DisputeStatus = "needs_response" | "under_review" | "won" | "lost";

export type Dispute = {
  id: string;
  object: "dispute";
  amount: number;
  /** Stripe lists the withdrawal and reinstatement here; the emulator keeps no balance. */
  balance_transactions: never[];
  charge: string;
  created: number;
  currency: string;
  /** Only the free-text field is modelled: it is how test mode is told to win or lose. */
  evidence: { uncategorized_text: string | null };
  evidence_details: { due_by: number; has_evidence: boolean; past_due: boolean; submission_count: number };
  is_charge_refundable: boolean;
  livemode: false;
  metadata: Metadata;
  payment_intent: string;
  reason: DisputeReason;
  status: DisputeStatus;
};

export type EventType =
  | "payment_intent.created"
  | "payment_intent.succeeded"
  | "payment_intent.payment_failed"
  | "payment_intent.requires_action"
  | "payment_intent.amount_capturable_updated"
  | "payment_intent.canceled"
  | "charge.succeeded"
  | "charge.failed"
  | "charge.captured"
  | "charge.refunded"
  | "refund.created"
  // Never emitted for cards, as on Stripe: "cards … don't go into the processing status"
  // (docs.stripe.com/payments/paymentintents/lifecycle). Listed so receivers can be typed against it.
  | "payment_intent.processing"
  | "charge.refund.updated"
  | "refund.updated"
  | "refund.failed"
  | "charge.dispute.created"
  | "charge.dispute.updated"
  | "charge.dispute.closed"
  | "charge.dispute.funds_withdrawn"
  | "charge.dispute.funds_reinstated";

export type StripeEvent = {
  id: string;
  object: "event";
  api_version: string;
  created: number;
  data: { object: JsonObject };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: EventType;
};

export type ListObject<T extends JsonObject> = {
  object: "list";
  data: T[];
  has_more: boolean;
  url: string;
};

export type SearchResult<T extends JsonObject> = {
  object: "search_result";
  data: T[];
  has_more: boolean;
  next_page: string | null;
  url: string;
};
