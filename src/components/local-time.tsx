"use client";

import { useSyncExternalStore } from "react";
import { formatTimestamp, formatZonedTimestamp } from "@/lib/display-format";

const subscribe = () => () => {};

/**
 * A moment in the viewer's time zone, e.g. "Nov 26, 2026, 00:30 GMT+1". The server does not
 * know that zone, so it renders UTC, labelled; React renders the server snapshot while it
 * hydrates, so the text matches the server's, and the viewer's zone follows right after,
 * without a hydration mismatch.
 */
export function LocalTime({ iso, className }: { iso: string; className?: string }) {
  const inBrowser = useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
  const date = new Date(iso);
  return (
    <time dateTime={iso} className={className}>
      {inBrowser ? formatZonedTimestamp(date) : formatTimestamp(date).text}
    </time>
  );
}
