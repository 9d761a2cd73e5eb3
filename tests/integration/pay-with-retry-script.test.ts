import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as showPayment } from "@/app/api/payments/[id]/route";
import { GET as listPayments, POST as createPayment } from "@/app/api/payments/route";
import { db } from "@/server/db";
import { customer } from "../helpers/payments-api";
import { startRouteServer } from "../helpers/route-server";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";

const run = promisify(execFile);
const stripe = startStripeEmulatorForFile({ timeoutMs: 5_000, lockTimeoutSeconds: 10 });
let app: Awaited<ReturnType<typeof startRouteServer>>;

beforeAll(async () => {
  app = await startRouteServer({
    "/api/payments": { POST: createPayment, GET: listPayments },
    "/api/payments/:id": { GET: showPayment },
  });
});
afterAll(() => app.close());

describe("scripts/pay-with-retry.sh against a live server", () => {
  it("pays, replays, gets 422 for a changed body, and a burst creates one payment", async () => {
    const alice = await customer();
    // Slow Stripe a little so the burst really overlaps: duplicates get 409 and retry.
    stripe.emulator.setFaults({ latencyMs: 400 });
    const apiKey = alice.headers.Authorization!.replace("Bearer ", "");
    const { stdout } = await run("bash", ["scripts/pay-with-retry.sh", "--burst", "6"], {
      env: { ...process.env, BASE_URL: app.url, API_KEY: apiKey },
      timeout: 60_000,
    });
    expect(stdout).toContain("→ 201");
    expect(stdout).toContain("Idempotent-Replayed: true");
    expect(stdout).toContain("same body, byte for byte");
    expect(stdout).toContain("→ 422 idempotency_key_reused");
    expect(stdout).toMatch(/distinct payments: 1 /);
    expect(stdout).toContain("OK: charged once per key.");

    // Two logical payments (step 1 and the burst), each charged once.
    expect(await db().payment.count({ where: { userId: alice.id } })).toBe(2);
    expect(stripe.emulator.paymentIntents({ metadata: { user_id: alice.id } })).toHaveLength(2);
  });

  it("explains itself with --help and refuses to run without an API key", async () => {
    const help = await run("bash", ["scripts/pay-with-retry.sh", "--help"]);
    expect(help.stdout).toContain("Usage: BASE_URL=");
    const missing = await run("bash", ["scripts/pay-with-retry.sh"], { env: { PATH: process.env.PATH, NODE_ENV: "test" } }).catch((e: { code: number; stderr: string }) => e);
    expect(missing).toMatchObject({ code: 1 });
    expect((missing as { stderr: string }).stderr).toContain("set API_KEY");
  });
});
