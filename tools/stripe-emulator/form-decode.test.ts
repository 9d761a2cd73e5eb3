import { describe, expect, it } from "vitest";
import { FormDecodeError, decodeForm } from "./form-decode";
import { canonicalParams } from "./idempotency";
import { Params } from "./params";

describe("decodeForm", () => {
  it("builds nested objects from bracketed names, as stripe-node encodes them", () => {
    expect(
      decodeForm(
        "amount=2000&currency=usd&metadata[user_id]=u_1&metadata[note]=a%20b%2Bc&automatic_payment_methods[enabled]=true&expand[0]=latest_charge&expand[1]=payment_method",
      ),
    ).toEqual({
      amount: "2000",
      currency: "usd",
      metadata: { user_id: "u_1", note: "a b+c" },
      automatic_payment_methods: { enabled: "true" },
      expand: { "0": "latest_charge", "1": "payment_method" },
    });
  });

  it("reads query strings with range filters and encoded brackets", () => {
    expect(decodeForm("created%5Bgte%5D=1700000000&created[lt]=1800000000&limit=3")).toEqual({
      created: { gte: "1700000000", lt: "1800000000" },
      limit: "3",
    });
  });

  it("appends for empty brackets and decodes + as a space", () => {
    expect(decodeForm("expand[]=a&expand[]=b&description=two+words")).toEqual({
      expand: { "0": "a", "1": "b" },
      description: "two words",
    });
  });

  it("keeps an empty value, which Stripe uses to unset a field", () => {
    expect(decodeForm("metadata=&description=")).toEqual({ metadata: "", description: "" });
  });

  it("rejects a name used both as a value and as an object, and bad encodings", () => {
    expect(() => decodeForm("metadata=x&metadata[a]=1")).toThrow(FormDecodeError);
    expect(() => decodeForm("metadata[a]=1&metadata=x")).toThrow(FormDecodeError);
    expect(() => decodeForm("a[b=1")).toThrow(FormDecodeError);
    expect(() => decodeForm("a=%E0%A4%A")).toThrow(FormDecodeError);
  });
});

describe("canonicalParams", () => {
  it("ignores parameter order, so a retry encoded differently still matches its key", () => {
    expect(canonicalParams(decodeForm("b=2&a=1&m[y]=2&m[x]=1"))).toBe(canonicalParams(decodeForm("m[x]=1&a=1&m[y]=2&b=2")));
    expect(canonicalParams(decodeForm("a=1"))).not.toBe(canonicalParams(decodeForm("a=2")));
  });
});

describe("Params", () => {
  it("reads lists in index order and rejects lists with other keys", () => {
    expect(new Params(decodeForm("expand[1]=b&expand[0]=a")).stringList("expand")).toEqual(["a", "b"]);
    expect(() => new Params(decodeForm("expand[x]=a")).stringList("expand")).toThrow("Invalid array");
  });

  it("drops empty metadata values and enforces Stripe's metadata limits", () => {
    expect(new Params(decodeForm("metadata[a]=1&metadata[b]=")).metadata()).toEqual({ a: "1" });
    const longKey = "k".repeat(41);
    expect(() => new Params(decodeForm(`metadata[${longKey}]=1`)).metadata()).toThrow(/up to 40 characters/);
  });
});
