import { describe, expect, it } from "vitest";
import { db } from "@/server/db";
import { createUser, TEST_PASSWORD } from "../../../tests/helpers/database";
import { verifyCredentials } from "./verify-credentials";

async function medianMs(attempt: () => Promise<unknown>, runs = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await attempt();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

describe("verifyCredentials", () => {
  it("returns the user for the right password and null otherwise", async () => {
    const user = await createUser();
    expect(await verifyCredentials(user.email, TEST_PASSWORD)).toEqual({ id: user.id, email: user.email, name: user.name });
    expect(await verifyCredentials(user.email, `${TEST_PASSWORD}!`)).toBeNull();
    expect(await verifyCredentials(`missing-${user.email}`, TEST_PASSWORD)).toBeNull();
  });

  it("refuses a user without a password, whatever is sent", async () => {
    const user = await db().user.create({ data: { email: `keys-only-${crypto.randomUUID()}@example.test` } });
    expect(await verifyCredentials(user.email, "")).toBeNull();
    expect(await verifyCredentials(user.email, TEST_PASSWORD)).toBeNull();
  });

  it("spends a full password check on an unknown email, so timing does not reveal accounts", async () => {
    const user = await createUser();
    await verifyCredentials("warm-up@example.test", "x"); // makes the per-process dummy hash
    const wrongPassword = await medianMs(() => verifyCredentials(user.email, "wrong password"));
    const unknownEmail = await medianMs(() => verifyCredentials(`nobody-${user.email}`, "wrong password"));
    // Without the dummy check an unknown email answers in about one database round trip,
    // a small fraction of one scrypt; with it both take about the same time.
    expect(unknownEmail).toBeGreaterThan(wrongPassword * 0.6);
  });
});
