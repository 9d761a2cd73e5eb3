import "server-only";
import type { PaymentListResponse } from "@/lib/schemas/payment-response";
import { db } from "@/server/db";
import { ApiError } from "@/server/http/api-error";
import { isUuid } from "./is-uuid";
import { paymentView } from "./payment-view";

/** The user's payments, newest first, keyset-paginated on (created_at, id). */
export async function listPayments(userId: string, page: { limit: number; cursor?: string }): Promise<PaymentListResponse> {
  const after = page.cursor ? decodeCursor(page.cursor) : null;
  const rows = await db().payment.findMany({
    where: {
      userId,
      ...(after && {
        OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }],
      }),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: page.limit + 1,
  });
  const data = rows.slice(0, page.limit).map((row) => paymentView(row));
  const last = rows.length > page.limit ? rows[page.limit - 1] : undefined;
  return { data, nextCursor: last ? encodeCursor(last.createdAt, last.id) : null };
}

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString("base64url");
}

/** Latest instant a cursor may name: PostgreSQL (and Prisma) hold nothing after year 9999. */
const MAX_CURSOR_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [iso, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const createdAt = new Date(iso ?? "");
  const time = createdAt.getTime();
  // Only what encodeCursor can have written may reach the query: a forged id of UUID shape
  // fails the uuid cast and a date outside 1970–9999 fails the driver, both 500s otherwise.
  if (!isUuid(id) || !(time >= 0 && time <= MAX_CURSOR_TIME)) {
    throw new ApiError("invalid_request", "cursor is not one this API returned.");
  }
  return { createdAt, id };
}
