import { describe, expect, it } from "vitest";
import { safeCallbackUrl } from "./safe-callback-url";

describe("safeCallbackUrl", () => {
  it("keeps a path on this site, with its query and fragment", () => {
    expect(safeCallbackUrl("/settings/api-keys")).toBe("/settings/api-keys");
    expect(safeCallbackUrl("/payments?page=2#latest")).toBe("/payments?page=2#latest");
  });

  it.each([
    [undefined],
    [null],
    [""],
    ["https://evil.example/"],
    ["//evil.example/"],
    ["/\\evil.example"],
    ["/\t/evil.example"],
    ["javascript:alert(1)"],
    ["settings"],
  ])("replaces %j with /", (value) => {
    expect(safeCallbackUrl(value)).toBe("/");
  });
});
