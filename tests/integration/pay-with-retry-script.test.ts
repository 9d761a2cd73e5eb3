import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as showPayment } from "@/app/api/payments/[id]/route";
import { GET as listPayments, POST as createPayment } from "@/app/api/payments/route";
import { db } from "@/server/db";
import { freePort } from "../../scripts/lib/embedded-postgres";
import { refuseRows } from "../helpers/db-faults";
import { customer, type TestCustomer } from "../helpers/payments-api";
import { startRouteServer } from "../helpers/route-server";
import { startStripeEmulatorForFile } from "../helpers/stripe-emulator";

const SCRIPT = "scripts/pay-with-retry.sh";
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

const stripe = startStripeEmulatorForFile({ timeoutMs: 5_000, lockTimeoutSeconds: 10 });
let app: Awaited<ReturnType<typeof startRouteServer>>;

beforeAll(async () => {
  app = await startRouteServer({
    "/api/payments": { POST: createPayment, GET: listPayments },
    "/api/payments/:id": { GET: showPayment },
  });
});
afterAll(() => app.close());

type Run = { code: number; stdout: string; stderr: string; output: string };

/** Runs the script to its end, whatever its exit status (execFile rejects on a non-zero one). */
function runScript(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile("bash", [SCRIPT, ...args], { env: { PATH: process.env.PATH, NODE_ENV: "test", ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(error);
        return;
      }
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr, output: `${stdout}\n${stderr}` });
    });
  });
}

const apiKeyOf = (who: TestCustomer) => who.headers.Authorization!.replace("Bearer ", "");
const payAs = (who: TestCustomer, args: string[]) => runScript(args, { BASE_URL: app.url, API_KEY: apiKeyOf(who) });
const intentsOf = (who: TestCustomer) => stripe.emulator.paymentIntents({ metadata: { user_id: who.id } });
const paymentsOf = (who: TestCustomer) => db().payment.findMany({ where: { userId: who.id }, orderBy: { createdAt: "asc" } });

/** The attempt lines of one step (`[1]`, `[4 #2]`, …) the script printed to stderr. */
function attemptLines(run: Run, step: string): string[] {
  return run.stderr.split("\n").filter((line) => line.trimStart().startsWith(`[${step}] attempt `));
}

/** What every run must not do, whatever its outcome. */
function expectNoSecrets(run: Run, apiKey: string) {
  expect(run.output).not.toContain(apiKey);
}

describe("scripts/pay-with-retry.sh against a live server", () => {
  it("pays, replays, gets 422 for a changed body, and a burst creates one payment, printing every response", async () => {
    const alice = await customer();
    // Slow Stripe a little so the burst really overlaps: duplicates get 409 and retry.
    stripe.emulator.setFaults({ latencyMs: 400 });
    const run = await payAs(alice, ["--burst", "6"]);
    expect(run.code, run.output).toBe(0);
    expectNoSecrets(run, apiKeyOf(alice));

    const succeeded = new RegExp(`SUCCEEDED: payment (${UUID}) \\(2500 eur, PaymentIntent pi_`).exec(run.stdout);
    expect(succeeded).not.toBeNull();
    expect(run.stdout).toContain("→ 201, Idempotent-Replayed: true");
    expect(run.stdout).toContain("same body, byte for byte");
    expect(run.stdout).toContain("→ 422 idempotency_key_reused");
    expect(attemptLines(run, "1")).toEqual([expect.stringMatching(/attempt 1\/8: HTTP 201, code -, Idempotent-Replayed: no; final$/)]);
    expect(attemptLines(run, "2")).toEqual([expect.stringMatching(/attempt 1\/8: HTTP 201, code -, Idempotent-Replayed: yes; final$/)]);
    expect(attemptLines(run, "3")).toEqual([expect.stringMatching(/attempt 1\/8: HTTP 422, code idempotency_key_reused, Idempotent-Replayed: no; final$/)]);

    // Every request of the burst prints each attempt: the duplicates met the first one in
    // progress, waited its Retry-After, and were answered with its replay.
    const burstAttempts = Array.from({ length: 6 }, (_, i) => attemptLines(run, `4 #${i + 1}`));
    for (const lines of burstAttempts) {
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.at(-1)).toMatch(/HTTP 201, code -, Idempotent-Replayed: (yes|no); final$/);
    }
    expect(burstAttempts.flat()).toContainEqual(
      expect.stringMatching(/HTTP 409, code idempotency_request_in_progress, Idempotent-Replayed: no; retrying the same key in \d+(\.\d+)?s \(Retry-After 1 s\)$/),
    );
    // …and its outcome, after the fact.
    const responses = [...run.stdout.matchAll(new RegExp(`#(\\d) → HTTP 201, payment (${UUID}) succeeded, Idempotent-Replayed: (yes|no), (\\d+) attempt\\(s\\)`, "g"))];
    expect(responses.map((r) => r[1]).sort()).toEqual(["1", "2", "3", "4", "5", "6"]);
    const burstIds = new Set(responses.map((r) => r[2]));
    expect(burstIds.size).toBe(1);
    const replays = responses.filter((r) => r[3] === "yes").length;
    expect(replays).toBe(5);
    expect(run.stdout).toContain(`replays: ${replays} of 6; gave up: 0`);
    expect(run.stdout).toMatch(/distinct payments: 1 /);
    const burstId = [...burstIds][0]!;
    expect(run.stdout).toContain(`OK: charged once per key (payment ${succeeded![1]}; burst: 5 replays of payment ${burstId}).`);

    // Two logical payments (step 1 and the burst), each charged once: what the summary said.
    const rows = await paymentsOf(alice);
    expect(rows.map((r) => [r.id, r.status])).toEqual([
      [succeeded![1], "succeeded"],
      [burstId, "succeeded"],
    ]);
    expect(intentsOf(alice)).toHaveLength(2);
  });

  it("a successful payment without the burst: exit 0, one PaymentIntent, and a true summary", async () => {
    const alice = await customer();
    const run = await payAs(alice, ["--burst", "0", "--amount", "1234", "--currency", "usd"]);
    expect(run.code, run.output).toBe(0);
    expectNoSecrets(run, apiKeyOf(alice));
    const [row] = await paymentsOf(alice);
    expect(row).toMatchObject({ status: "succeeded", amount: 1234, currency: "usd" });
    const [intent] = intentsOf(alice);
    expect(intentsOf(alice)).toHaveLength(1);
    expect(intent).toMatchObject({ id: row!.stripePaymentIntentId, status: "succeeded", amount: 1234 });
    expect(run.stdout).toContain(`SUCCEEDED: payment ${row!.id} (1234 usd, PaymentIntent ${intent!.id})`);
    expect(run.stdout).toContain("4. Burst skipped (--burst 0)");
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe(`OK: charged once (payment ${row!.id}).`);
  });

  it("reports a decline as DECLINED with its decline code, exits 2, and never claims a charge", async () => {
    const alice = await customer();
    const run = await payAs(alice, ["--card", "pm_card_chargeDeclined", "--burst", "4"]);
    expect(run.code, run.output).toBe(2);
    expectNoSecrets(run, apiKeyOf(alice));

    const [row] = await paymentsOf(alice);
    expect(row).toMatchObject({ status: "failed", failureCode: expect.any(String) });
    expect(run.stdout).toContain(`DECLINED: ${row!.failureCode} (payment ${row!.id})`);
    expect(run.output).not.toMatch(/charged once|SUCCEEDED|OK:/);
    expect(run.stdout).toContain(`NOT CHARGED: the card was declined (${row!.failureCode}); payment ${row!.id} is failed.`);
    // 402 is final for its key: never retried; its replay is the same decline.
    expect(attemptLines(run, "1")).toEqual([expect.stringMatching(/attempt 1\/8: HTTP 402, code card_declined, Idempotent-Replayed: no; final$/)]);
    expect(attemptLines(run, "2")).toEqual([expect.stringMatching(/attempt 1\/8: HTTP 402, code card_declined, Idempotent-Replayed: yes; final$/)]);
    // A declined card is not tried again under a new key: no burst, one payment, one intent.
    expect(run.stdout).toContain("4. Burst skipped: step 1 did not charge (declined)");
    expect(attemptLines(run, "4 #1")).toEqual([]);
    expect(await paymentsOf(alice)).toHaveLength(1);
    expect(intentsOf(alice)).toHaveLength(1);
    expect(intentsOf(alice)[0]!.status).not.toBe("succeeded");
  });

  it("reports a card that needs 3-D Secure as REQUIRES_ACTION, exits 3, and prints no client secret", async () => {
    const alice = await customer();
    const run = await payAs(alice, ["--card", "pm_card_authenticationRequired"]);
    expect(run.code, run.output).toBe(3);
    expectNoSecrets(run, apiKeyOf(alice));

    const [row] = await paymentsOf(alice);
    expect(row).toMatchObject({ status: "requires_action" });
    const [intent] = intentsOf(alice);
    expect(intent).toMatchObject({ status: "requires_action" });
    expect(run.stdout).toContain(`REQUIRES_ACTION: payment ${row!.id} needs 3-D Secure authentication`);
    expect(run.stdout).toContain(`NOT CHARGED: payment ${row!.id} requires_action (3-D Secure)`);
    expect(run.output).not.toMatch(/charged once|SUCCEEDED|OK:|DECLINED/);
    expect(run.output).not.toContain(intent!.client_secret!);
    expect(run.stdout).toContain("4. Burst skipped: step 1 did not charge (requires_action)");
    expect(intentsOf(alice)).toHaveLength(1);
  });

  it("a bad API key: one attempt, 401 not retried, exit 1, and the key is never printed", async () => {
    const badKey = `ipk_${randomBytes(24).toString("hex")}`;
    const intentsBefore = stripe.emulator.paymentIntents().length;
    const run = await runScript(["--attempts", "5"], { BASE_URL: app.url, API_KEY: badKey });
    expect(run.code, run.output).toBe(1);
    expectNoSecrets(run, badKey);
    expect(attemptLines(run, "1")).toEqual([expect.stringMatching(/attempt 1\/5: HTTP 401, code unauthorized, Idempotent-Replayed: no; final$/)]);
    expect(run.stdout).toContain("REFUSED: HTTP 401 unauthorized; not retried");
    expect(run.stdout).toMatch(/X-Request-Id: \S+/);
    expect(run.output).not.toMatch(/charged|SUCCEEDED|OK:|retrying/);
    expect(attemptLines(run, "2")).toEqual([]);
    expect(stripe.emulator.paymentIntents()).toHaveLength(intentsBefore);
  });

  it("an invalid amount: 400 not retried, the field named, exit 1, nothing charged", async () => {
    const alice = await customer();
    const run = await payAs(alice, ["--amount", "10"]);
    expect(run.code, run.output).toBe(1);
    expectNoSecrets(run, apiKeyOf(alice));
    expect(attemptLines(run, "1")).toEqual([expect.stringMatching(/attempt 1\/8: HTTP 400, code invalid_request, Idempotent-Replayed: no; final$/)]);
    expect(run.stdout).toContain("REFUSED: HTTP 400 invalid_request; not retried");
    expect(run.stdout).toMatch(/field amount: /);
    expect(run.output).not.toMatch(/charged|SUCCEEDED|OK:|retrying/);
    expect(await paymentsOf(alice)).toHaveLength(0);
    expect(intentsOf(alice)).toHaveLength(0);
  });

  it("retries a 503 with the same key after its Retry-After, printing both attempts, and charges once", async () => {
    const alice = await customer();
    stripe.emulator.setFaults({ failNext: 1 });
    const run = await payAs(alice, ["--burst", "0"]);
    expect(run.code, run.output).toBe(0);
    expectNoSecrets(run, apiKeyOf(alice));
    expect(attemptLines(run, "1")).toEqual([
      expect.stringMatching(/attempt 1\/8: HTTP 503, code payment_provider_unavailable, Idempotent-Replayed: no; retrying the same key in 2s \(Retry-After 2 s\)$/),
      expect.stringMatching(/attempt 2\/8: HTTP 201, code -, Idempotent-Replayed: no; final$/),
    ]);
    const [row] = await paymentsOf(alice);
    expect(await paymentsOf(alice)).toHaveLength(1);
    expect(intentsOf(alice)).toEqual([expect.objectContaining({ id: row!.stripePaymentIntentId, status: "succeeded" })]);
    expect(run.stdout).toContain(`OK: charged once (payment ${row!.id}).`);
  });

  it("charged but not recorded (500 outcome_not_recorded): retried with the same key, then gives up with exit 4, never claiming a charge", async () => {
    const alice = await customer();
    const fault = await refuseRows("payments", alice.id);
    let run: Run;
    try {
      run = await payAs(alice, ["--attempts", "2"]);
    } finally {
      await fault.remove();
    }
    expect(run.code, run.output).toBe(4);
    expectNoSecrets(run, apiKeyOf(alice));
    const [intent] = intentsOf(alice);
    expect(intentsOf(alice)).toHaveLength(1);
    expect(attemptLines(run, "1")).toEqual([
      expect.stringMatching(/attempt 1\/2: HTTP 500, code outcome_not_recorded, Idempotent-Replayed: no; retrying the same key in \d+(\.\d+)?s \(/),
      expect.stringMatching(/attempt 2\/2: HTTP 500, code outcome_not_recorded, Idempotent-Replayed: no; retryable, but that was the last attempt: giving up$/),
    ]);
    expect(run.stdout).toContain("GAVE UP after 2 attempt(s): the last answer was HTTP 500 outcome_not_recorded");
    expect(run.stdout).toContain(`(PaymentIntent ${intent!.id})`);
    expect(run.stdout).toMatch(/Retry later with the SAME Idempotency-Key: pay-[0-9a-f]{32} \(never pay again under a new key\)/);
    expect(run.output).not.toMatch(/charged once|SUCCEEDED|OK:|DECLINED/);
    expect(await paymentsOf(alice)).toHaveLength(0);
  });

  it("network failures are retried with backoff, bounded by --attempts, then exit 4", async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const apiKey = `ipk_${randomBytes(24).toString("hex")}`;
    const run = await runScript(["--attempts", "3"], { BASE_URL: nobody, API_KEY: apiKey });
    expect(run.code, run.output).toBe(4);
    expectNoSecrets(run, apiKey);
    const lines = attemptLines(run, "1");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/attempt 1\/3: HTTP 000 \(curl: .*\), code -, Idempotent-Replayed: no; retrying the same key in 0\.\d+s \(backoff\)$/);
    expect(lines[1]).toMatch(/attempt 2\/3: HTTP 000 .*; retrying the same key in 0\.\d+s \(backoff\)$/);
    expect(lines[2]).toMatch(/attempt 3\/3: HTTP 000 .*; retryable, but that was the last attempt: giving up$/);
    expect(run.stdout).toContain("GAVE UP after 3 attempt(s)");
  });

  it("explains itself with --help, naming the spec, the docs and the exit statuses", async () => {
    const help = await runScript(["--help"], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: BASE_URL=");
    expect(help.stdout).toContain("GET $BASE_URL/api/openapi.json");
    expect(help.stdout).toContain("OpenAPI 3.1");
    expect(help.stdout).toContain("$BASE_URL/docs/api");
    expect(help.stdout).toContain("$BASE_URL/docs/errors");
    expect(help.stdout).toContain("Idempotency-Key-Expires");
    expect(help.stdout).toContain("GET $BASE_URL/api/idempotency-keys/{key}");
    for (const status of ["0", "1", "2", "3", "4", "5", "64"]) expect(help.stdout).toMatch(new RegExp(`^  ${status} +\\S`, "m"));
    expect(help.stdout).toMatch(/^ {2}2 +declined/m);
    expect(help.stdout).toMatch(/^ {2}3 +requires_action/m);
  });

  it("refuses to run without an API key or with an unknown option (exit 64)", async () => {
    const missing = await runScript([], {});
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain("set API_KEY");
    const unknown = await runScript(["--nope"], { API_KEY: "ipk_x" });
    expect(unknown).toMatchObject({ code: 64, stderr: expect.stringContaining("unknown option: --nope") });
    const noValue = await runScript(["--attempts"], { API_KEY: "ipk_x" });
    expect(noValue).toMatchObject({ code: 64, stderr: expect.stringContaining("--attempts needs a value") });
  });
});
