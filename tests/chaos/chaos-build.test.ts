import { describe, expect, it } from "vitest";
import { testHooksIn } from "../../scripts/lib/test-hooks-in-build";
import { chaosContext } from "./chaos-context";

describe("the chaos build", () => {
  // The e2e suite checks that the production build holds no test hook with the same search:
  // finding this one here is what makes finding none there mean something.
  it("holds the crash hook, and no other test hook", () => {
    const found = testHooksIn(chaosContext().distDir);
    expect(found.crashHook?.length ?? 0).toBeGreaterThan(0);
    expect(found.benchRoutes).toBeUndefined();
  });
});
