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

  it("keeps the password exactly as typed, spaces included", () => {
    const password = "  twelve chars  ";
    expect(signUpSchema.parse({ email: "a@b.co", password }).password).toBe(password);
  });

  it.each([
    ["NUL", "long enough\u0000pass", "password must not contain control characters"],
    ["ESC", "long enough\u001bpass", "password must not contain control characters"],
    ["a lone surrogate", "long enough\ud800pass", "password must be valid Unicode (it contains an unpaired surrogate)"],
    ["a newline", "long enough\npassword", "password must be a single line: no line breaks or tabs"],
  ])("refuses a new password with %s", (_name, password, message) => {
    expect(signUpSchema.safeParse({ email: "a@b.co", password }).error?.issues).toEqual([
      expect.objectContaining({ path: ["password"], message }),
    ]);
  });

  it("refuses a name with control or bidi characters, and keeps any script", () => {
    const base = { email: "a@b.co", password: "x".repeat(12) };
    expect(signUpSchema.safeParse({ ...base, name: "Ada\u0000" }).error?.issues[0]?.message).toBe("name must not contain control characters");
    expect(signUpSchema.safeParse({ ...base, name: "Ada\u202e" }).error?.issues[0]?.path).toEqual(["name"]);
    expect(signUpSchema.parse({ ...base, name: " مرحبا Zoë 🚀 " }).name).toBe("مرحبا Zoë 🚀");
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

  it("lets any string through as the password: it is only ever compared with a hash", () => {
    expect(signInSchema.safeParse({ email: "a@b.co", password: "a\u0000\ud800" }).success).toBe(true);
  });
});
