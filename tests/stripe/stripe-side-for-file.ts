import { afterAll, beforeAll, inject, vi } from "vitest";
import { type DeliveryRecorder, type ReceivedDelivery, startDeliveryRecorder } from "./delivery-recorder";
import { stripeSide } from "./stripe-side";

/**
 * Call at the top of a test file: starts the file's webhook receiver and has Stripe (the
 * emulator, or `stripe listen` for real Stripe) deliver to it, through the run's StripeSide.
 * Files run one at a time (vitest.stripe.config.ts): real Stripe forwards to one fixed URL.
 */
export function stripeSideForFile() {
  const side = stripeSide(inject("stripeTarget"));
  const holder: { receiver: DeliveryRecorder | null } = { receiver: null };

  beforeAll(async () => {
    holder.receiver = await startDeliveryRecorder(side.webhookPort);
    await side.connectWebhooks(holder.receiver.url);
  });
  afterAll(async () => {
    await side.disconnectWebhooks();
    await holder.receiver?.close();
  });

  const receiver = (): DeliveryRecorder => {
    if (!holder.receiver) throw new Error("the webhook receiver starts in beforeAll");
    return holder.receiver;
  };

  /** Deliveries of events of this type about this object (a PaymentIntent, a charge, …). */
  const deliveriesOf = (type: string, match: (object: ReceivedDelivery["object"]) => boolean): ReceivedDelivery[] =>
    receiver().deliveries.filter((delivery) => delivery.type === type && match(delivery.object));

  return {
    side,
    receiver,
    deliveriesOf,
    /**
     * Waits until `check` passes, at most the side's webhook timeout (10 s emulator, 60 s real
     * Stripe); then fails with what was awaited and what to look at.
     */
    async eventually(what: string, check: () => void | Promise<void>): Promise<void> {
      try {
        await vi.waitFor(check, { timeout: side.webhookTimeoutMs, interval: 100 });
      } catch (error) {
        const hint = side.missingDeliveryHint(receiver().url);
        throw new Error(`${what}: not within ${side.webhookTimeoutMs / 1000} s (${hint})\n${String(error)}`, { cause: error });
      }
    },
  };
}
