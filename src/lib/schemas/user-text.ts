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
