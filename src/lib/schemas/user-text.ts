import { z } from "zod";

/**
 * Text that PostgreSQL can store in a `text` column as the person typed it: no NUL (which
 * PostgreSQL's text type cannot hold) and well-formed UTF-16 (a lone surrogate would be
 * silently replaced by U+FFFD on the way to UTF-8, so the stored text would not be what was
 * sent). Used where text arrives from somewhere other than our own validated schemas, e.g.
 * a Stripe object's description in a webhook.
 */
export function isStorableText(value: string): boolean {
  return !value.includes("\u0000") && value.isWellFormed();
}

type UserTextOptions = {
  /** The field as the API names it, for messages: "description must not contain control characters". */
  label: string;
  max: number;
  /** Default 0. Counted after trimming, like `max`. */
  min?: number;
  /** Allows "\n" and "\t", line and paragraph separators and bidi controls: a text area. */
  multiline?: boolean;
  /** Default true. False keeps the text exactly as typed (a password). */
  trim?: boolean;
  /** For a form that words these its own way; the character rules keep their messages. */
  messages?: { type?: string; tooShort?: string; tooLong?: string };
};

type Rule = { found: (text: string) => boolean; problem: string };

// C0 controls except tab and line feed (which single-line fields refuse below), DEL and C1.
// They are invisible or act on a terminal (ESC starts colour codes), and NUL cannot be stored.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const LINE_BREAK_OR_TAB = /[\t\n\u2028\u2029]/;
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;
const NONCHARACTER = /\p{Noncharacter_Code_Point}/u;

const EVERY_FIELD: Rule[] = [
  // A lone surrogate cannot be encoded as UTF-8: it would be stored as U+FFFD, not as sent.
  { found: (text) => !text.isWellFormed(), problem: "must be valid Unicode (it contains an unpaired surrogate)" },
  { found: (text) => CONTROL.test(text), problem: "must not contain control characters" },
  // Reserved by Unicode never to be characters; only a broken or hostile client sends them.
  { found: (text) => NONCHARACTER.test(text), problem: "must not contain Unicode non-characters (such as U+FFFE)" },
];

// A single-line value is shown inline: in lists, log lines, CSV exports, Stripe's dashboard.
// A line or paragraph separator (U+2028/U+2029) breaks that line like "\n" does, and a bidi
// override or isolate (U+202A–U+202E, U+2066–U+2069) reorders how the rest of the line is
// drawn, so "invoice\u202Efdp.exe" reads as "invoiceexe.pdf" (CVE-2021-42574, "Trojan
// Source"). Right-to-left text needs none of them: the Unicode bidi algorithm lays it out.
// A text area may need them for mixed-direction paragraphs, so `multiline` allows them.
const SINGLE_LINE: Rule[] = [
  { found: (text) => LINE_BREAK_OR_TAB.test(text), problem: "must be a single line: no line breaks or tabs" },
  {
    found: (text) => BIDI_CONTROL.test(text),
    problem: "must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069)",
  },
];

/**
 * The one schema for text a person sends: trimmed (unless `trim: false`), `min`–`max`
 * characters (UTF-16 code units, as JavaScript counts them), and refused with a message naming
 * the problem when it holds what no person types into a field: control characters, a lone
 * surrogate, a Unicode non-character and, in a single-line field, line breaks, tabs and bidi
 * controls. The characters are checked as sent, before trimming, so that a control character
 * at either end is refused rather than silently dropped; a refusal stops there, so it is not
 * also reported as too short.
 */
export function userText(options: UserTextOptions): z.ZodString {
  const { label, max, min = 0, multiline = false, trim = true, messages = {} } = options;
  const rules = multiline ? EVERY_FIELD : [...EVERY_FIELD, ...SINGLE_LINE];
  const checked = z.string({ error: messages.type ?? `${label} must be a string` }).superRefine((text, ctx) => {
    for (const rule of rules) {
      if (rule.found(text)) ctx.addIssue({ code: "custom", message: `${label} ${rule.problem}`, continue: false });
    }
  });
  const trimmed = trim ? checked.trim() : checked;
  const tooShort = messages.tooShort ?? (min === 1 ? `${label} must not be empty` : `${label} must be at least ${min} characters`);
  const bounded = min > 0 ? trimmed.min(min, tooShort) : trimmed;
  return bounded.max(max, messages.tooLong ?? `${label} must be at most ${max} characters`);
}
