import { describe, expect, it } from "vitest";
import { memoryStorage } from "../../../tests/helpers/browser-seams";
import { CHECKOUT_STORAGE_KEY, createCheckoutStore, DEFAULT_DRAFT, type CheckoutState } from "./checkout-store";


const STATE: CheckoutState = {
  draft: { amountText: "12.50", currency: "gbp" },
  attempt: {
    key: "0b6f5e0e-2f4c-4c55-9d0b-6d8b0b1c2d3e",
    request: { amount: 1_250, currency: "gbp", confirmationToken: "ctoken_1Abc" },
    state: "sending",
    startedAt: "2026-11-25T12:00:00.000Z",
  },
};

describe("createCheckoutStore", () => {
  it("starts with the default draft and no attempt", () => {
    expect(createCheckoutStore(memoryStorage()).state()).toEqual({ draft: DEFAULT_DRAFT, attempt: null });
    expect(createCheckoutStore(null).state()).toEqual({ draft: DEFAULT_DRAFT, attempt: null });
  });

  it("writes every change through, so that a reload finds the same key and form", () => {
    const storage = memoryStorage();
    createCheckoutStore(storage).update(STATE);
    expect(createCheckoutStore(storage).state()).toEqual(STATE);

    createCheckoutStore(storage).update({ attempt: null });
    expect(createCheckoutStore(storage).state()).toEqual({ draft: STATE.draft, attempt: null });
  });

  it.each([
    ["not JSON", "{"],
    ["another shape", JSON.stringify({ key: "k" })],
    ["an unknown currency", JSON.stringify({ ...STATE, draft: { ...STATE.draft, currency: "xyz" } })],
    ["a request without a card", JSON.stringify({ ...STATE, attempt: { ...STATE.attempt, request: { amount: 1_250, currency: "gbp" } } })],
    ["an invalid stored request", JSON.stringify({ ...STATE, attempt: { ...STATE.attempt, request: { amount: 1 } } })],
  ])("ignores stored data that is %s", (_what, raw) => {
    const storage = memoryStorage({ [CHECKOUT_STORAGE_KEY]: raw });
    expect(createCheckoutStore(storage).state()).toEqual({ draft: DEFAULT_DRAFT, attempt: null });
  });

  it("keeps working in memory when storage throws (disabled, or over quota)", () => {
    const broken = {
      getItem: (): string | null => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
    };
    const store = createCheckoutStore(broken);
    expect(store.update(STATE)).toEqual(STATE);
    expect(store.state()).toEqual(STATE);
  });
});
