import { describe, expect, it } from "vitest";
import { paymentPath } from "../routes";
import { awaitSettledPayment } from "./await-settled-payment";

const ID = "6f1c2a4e-0000-4000-8000-000000000001";
const payment = (status: string) => ({
  id: ID,
  status,
  amount: 2_500,
  currency: "eur",
  description: null,
  card: null,
  paymentIntentId: "pi_1",
  failureCode: status === "failed" ? "payment_intent_authentication_failure" : null,
  amountRefunded: 0,
  createdAt: "2026-11-25T12:00:00.000Z",
});

/** Answers the scripted responses in order (an Error is a dropped connection), recording each URL. */
function scripted(...answers: Array<Response | Error>) {
  const urls: string[] = [];
  const fetch = async (request: Request) => {
    urls.push(new URL(request.url).pathname);
    const answer = answers.shift();
    if (!answer || answer instanceof Error) throw answer ?? new Error("no more answers");
    return answer;
  };
  return { urls, fetch };
}

const json = (body: unknown, status = 200) => Response.json(body, { status });
const noSleep = async () => {};

describe("awaitSettledPayment", () => {
  it("reads until the payment settles, through dropped connections and unreadable answers", async () => {
    const { urls, fetch } = scripted(
      json(payment("requires_action")),
      new Error("offline"),
      json({ unexpected: true }),
      json({ type: "about:blank" }, 503),
      json(payment("succeeded")),
    );
    const settled = await awaitSettledPayment(ID, { fetch, sleep: noSleep });
    expect(settled?.status).toBe("succeeded");
    expect(urls).toEqual(Array(5).fill(paymentPath(ID)));
  });

  it("stops at the first settled answer: a failed authentication is settled", async () => {
    const { urls, fetch } = scripted(json(payment("failed")), json(payment("succeeded")));
    const settled = await awaitSettledPayment(ID, { fetch, sleep: noSleep });
    expect(settled?.failureCode).toBe("payment_intent_authentication_failure");
    expect(urls).toHaveLength(1);
  });

  it("gives up after the bounded number of reads with the last state it saw", async () => {
    const { urls, fetch } = scripted(json(payment("processing")), json(payment("processing")), new Error("offline"));
    const slept: number[] = [];
    const settled = await awaitSettledPayment(ID, { fetch, reads: 3, intervalMs: 700, sleep: async (ms) => void slept.push(ms) });
    expect(settled?.status).toBe("processing");
    expect(urls).toHaveLength(3);
    expect(slept).toEqual([700, 700]);
  });

  it("answers null when nothing could be read", async () => {
    const { fetch } = scripted(new Error("offline"), new Error("offline"));
    expect(await awaitSettledPayment(ID, { fetch, reads: 2, sleep: noSleep })).toBeNull();
  });
});
