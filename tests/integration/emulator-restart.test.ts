import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { db } from "@/server/db";
import { freePort } from "../../scripts/lib/embedded-postgres";
import { startStripeEmulator, type StripeEmulator } from "../../tools/stripe-emulator";
import { customer, pay } from "../helpers/payments-api";
import { refund } from "../helpers/refunds-api";

// `npm run dev` keeps its database across restarts, and now the emulator's state beside it
// (--data-dir): a payment made before a restart stays refundable after it, through the app.
const port = await freePort();
const dataDir = await mkdtemp(path.join(os.tmpdir(), "emulator-restart-"));
Object.assign(process.env, {
  STRIPE_SECRET_KEY: `sk_test_${randomBytes(8).toString("hex")}`,
  STRIPE_API_BASE: `http://127.0.0.1:${port}`,
  STRIPE_TIMEOUT_MS: "2000",
  STRIPE_MAX_NETWORK_RETRIES: "0",
  IDEMPOTENCY_LOCK_TIMEOUT: "5",
});
let emulator: StripeEmulator | undefined;
const start = async () => (emulator = await startStripeEmulator({ port, dataDir }));

afterAll(async () => {
  await emulator?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("the Stripe emulator restarted on its data directory", () => {
  it("still knows the payments in the database: a refund of a payment made before the restart works, and keys replay", async () => {
    await start();
    const alice = await customer();
    const response = await pay(alice, { key: "before-restart" });
    expect(response.status).toBe(201);
    const payment = await response.json();

    await emulator!.close();
    await start();

    expect(emulator!.paymentIntents({ metadata: { user_id: alice.id } }).map((i) => i.id)).toEqual([payment.paymentIntentId]);
    const refunded = await refund(alice, payment.id, { body: { amount: 1_000 } });
    expect(refunded.status).toBe(201);
    expect(await db().payment.findFirstOrThrow({ where: { id: payment.id } })).toMatchObject({ amountRefunded: 1_000 });
    // Our key replays from our database; Stripe's own key for it replays from the emulator's file.
    expect((await pay(alice, { key: "before-restart" })).headers.get("idempotent-replayed")).toBe("true");
    expect(emulator!.paymentIntents({ metadata: { user_id: alice.id } })).toHaveLength(1);
  });
});
