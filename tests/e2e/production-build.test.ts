import { describe, expect, inject, it } from "vitest";
import { testHooksIn } from "../../scripts/lib/test-hooks-in-build";

describe("the production build", () => {
  // The build under test here is made as `npm run build` makes it (same next.config.ts, no
  // harness variable): what users deploy. The chaos suite checks that the same search does
  // find its crash hook in its own build (tests/chaos/chaos-build.test.ts).
  it("holds no test hook: no chaos crash hook, no benchmark route", () => {
    expect(testHooksIn(inject("e2eDistDir"))).toEqual({});
  });
});
