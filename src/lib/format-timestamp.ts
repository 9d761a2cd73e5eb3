// Formatted in UTC, so that the server and the browser render the same text.
const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

/** A moment for a `<time>` element: machine-readable `iso` and the `text` people read. */
export function formatTimestamp(date: Date): { iso: string; text: string } {
  return { iso: date.toISOString(), text: `${dateTime.format(date)} UTC` };
}
