import { describe, expect, it } from "vitest";
import { signInSchema } from "./sign-in";
import { signUpSchema } from "./sign-up";

describe("signUpSchema", () => {
  it("normalises the email and drops an empty name", () => {
    const parsed = signUpSchema.parse({ email: "  Ada@Example.COM ", password: "x".repeat(12), name: "  " });
    expect(parsed).toEqual({ email: "ada@example.com", password: "x".repeat(12) });
  });

  it("wants 12 to 128 characters of password", () => {
    expect(signUpSchema.safeParse({ email: "a@b.co", password: "x".repeat(11) }).success).toBe(false);
    expect(signUpSchema.safeParse({ email: "a@b.co", password: "x".repeat(128) }).success).toBe(true);
    expect(signUpSchema.safeParse({ email: "a@b.co", password: "x".repeat(129) }).success).toBe(false);
  });

  it("names every bad field", () => {
    const result = signUpSchema.safeParse({ email: "nope", password: 5 });
    expect(result.error?.issues.map((i) => i.path.join("."))).toEqual(["email", "password"]);
  });
});

describe("signInSchema", () => {
  it("accepts any non-empty password up to 128 characters, so older rules keep working", () => {
    expect(signInSchema.safeParse({ email: "A@B.co", password: "short" }).data).toEqual({ email: "a@b.co", password: "short" });
    expect(signInSchema.safeParse({ email: "a@b.co", password: "" }).success).toBe(false);
    expect(signInSchema.safeParse({ email: "a@b.co", password: "x".repeat(129) }).success).toBe(false);
  });
});
