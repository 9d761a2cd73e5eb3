import { describe, expect, it } from "vitest";
import { isStorableText, userText } from "./user-text";

const singleLine = userText({ label: "description", min: 1, max: 500 });
const multiline = userText({ label: "note", max: 500, multiline: true });

const CONTROL = "description must not contain control characters";
const SURROGATE = "description must be valid Unicode (it contains an unpaired surrogate)";
const NONCHARACTER = "description must not contain Unicode non-characters (such as U+FFFE)";
const LINE_BREAK = "description must be a single line: no line breaks or tabs";
const BIDI = "description must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069)";

const messages = (schema: typeof singleLine, value: unknown) => schema.safeParse(value).error?.issues.map((i) => i.message);

describe("userText refuses what no person types, naming the problem", () => {
  it.each([
    ["NUL", "\u0000", CONTROL],
    ["NUL inside text", "invoice\u0000 42", CONTROL],
    ["SOH", "\u0001", CONTROL],
    ["an ANSI colour escape", "\u001b[31m", CONTROL],
    ["carriage return", "a\rb", CONTROL],
    ["DEL", "\u007f", CONTROL],
    ["NEL, a C1 control", "\u0085", CONTROL],
    ["U+009F, the last C1 control", "\u009f", CONTROL],
    ["a lone high surrogate", "\ud800", SURROGATE],
    ["a lone low surrogate", "\udfff", SURROGATE],
    ["a surrogate pair in reverse order", "\udc00\ud800", SURROGATE],
    ["U+FFFE", "\ufffe", NONCHARACTER],
    ["U+FFFF", "\uffff", NONCHARACTER],
    ["U+FDD0", "\ufdd0", NONCHARACTER],
    ["U+10FFFF", "\u{10ffff}", NONCHARACTER],
    ["a line separator", "\u2028", LINE_BREAK],
    ["a paragraph separator", "a\u2029b", LINE_BREAK],
    ["a right-to-left override", "\u202e", BIDI],
    ["a Trojan Source file name", "invoice\u202efdp.exe", BIDI],
    ["a left-to-right embedding", "\u202a", BIDI],
    ["a first-strong isolate", "a\u2068b\u2069", BIDI],
    ["a tab", "a\tb", LINE_BREAK],
    ["a newline", "a\nb", LINE_BREAK],
  ])("%s", (_name, value, message) => {
    expect(messages(singleLine, value)).toEqual([message]);
    // Wherever it sits: between ordinary words, or at an end that trimming would cut off.
    expect(messages(singleLine, `Order ${value} 42`)).toEqual([message]);
    expect(messages(singleLine, `Order 42${value}`)).toEqual([message]);
  });

  it("reports every kind of problem at once, and not also that the value is too short", () => {
    expect(messages(singleLine, "\u0000\ud800\ufffe\n\u202e")).toEqual([SURROGATE, CONTROL, NONCHARACTER, LINE_BREAK, BIDI]);
  });

  it("names the field it checks", () => {
    expect(messages(userText({ label: "cursor", max: 10 }), "a\u0000")).toEqual(["cursor must not contain control characters"]);
  });
});

describe("userText accepts real text of any script, as sent", () => {
  it.each([
    ["an emoji", "🚀"],
    ["German with a coffee cup", "Zahlung für Café ☕"],
    ["Chinese", "支付订单 42"],
    ["Japanese", "お支払い番号 42"],
    ["a combining accent", "Cafe\u0301"],
    ["Arabic (right-to-left)", "مرحبا"],
    ["Hebrew mixed with digits", "תשלום 42"],
    ["a zero-width joiner sequence", "👩\u200d💻"],
    ["SQL", "Robert'); DROP TABLE payments;--"],
    ["HTML", "<script>alert(document.cookie)</script>"],
    ["the last code point before the non-characters", "\u{10fffd}"],
  ])("%s", (_name, value) => {
    expect(singleLine.parse(value)).toBe(value);
  });

  it("trims spaces at both ends and counts the length after trimming", () => {
    expect(singleLine.parse("  Order 42  ")).toBe("Order 42");
    expect(singleLine.parse(` ${"d".repeat(500)} `)).toBe("d".repeat(500));
  });

  it("keeps the text exactly as typed with trim: false", () => {
    expect(userText({ label: "password", max: 20, trim: false }).parse("  spaced  ")).toBe("  spaced  ");
  });
});

describe("userText lengths and types", () => {
  it("enforces min and max with messages naming the field", () => {
    expect(messages(singleLine, "")).toEqual(["description must not be empty"]);
    expect(messages(singleLine, "   ")).toEqual(["description must not be empty"]);
    expect(messages(singleLine, "d".repeat(501))).toEqual(["description must be at most 500 characters"]);
    expect(messages(userText({ label: "code", min: 3, max: 5 }), "ab")).toEqual(["code must be at least 3 characters"]);
    expect(messages(singleLine, 42)).toEqual(["description must be a string"]);
    expect(messages(singleLine, null)).toEqual(["description must be a string"]);
  });

  it("allows an empty value when there is no minimum", () => {
    expect(userText({ label: "cursor", max: 200 }).parse("")).toBe("");
  });

  it("uses a form's own wording for type and length, but never for the character rules", () => {
    const name = userText({ label: "name", min: 1, max: 3, messages: { type: "Name it", tooShort: "Too short", tooLong: "Too long" } });
    expect(messages(name, undefined)).toEqual(["Name it"]);
    expect(messages(name, " ")).toEqual(["Too short"]);
    expect(messages(name, "abcd")).toEqual(["Too long"]);
    expect(messages(name, "a\u0000")).toEqual(["name must not contain control characters"]);
  });
});

describe("userText with multiline: true", () => {
  it("allows newlines, tabs, line separators and bidi controls", () => {
    const text = "line one\nline two\tindented\u2028next\u2067مرحبا\u2069";
    expect(multiline.parse(text)).toBe(text);
  });

  it("still refuses other control characters, lone surrogates and non-characters", () => {
    expect(messages(multiline, "a\r\nb")).toEqual(["note must not contain control characters"]);
    expect(messages(multiline, "a\u0000b")).toEqual(["note must not contain control characters"]);
    expect(messages(multiline, "a\ud800b")).toEqual(["note must be valid Unicode (it contains an unpaired surrogate)"]);
    expect(messages(multiline, "a\uffffb")).toEqual(["note must not contain Unicode non-characters (such as U+FFFE)"]);
  });
});

describe("isStorableText", () => {
  it("refuses only what a text column cannot hold as sent", () => {
    expect(isStorableText("Order\u202e 42\n")).toBe(true);
    expect(isStorableText("a\u0000b")).toBe(false);
    expect(isStorableText("a\udc00b")).toBe(false);
  });
});
