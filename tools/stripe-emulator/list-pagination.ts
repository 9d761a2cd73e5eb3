import { invalidRequest, resourceMissing } from "./errors";
import type { JsonObject, ListObject, SearchResult } from "./objects";
import type { Params } from "./params";

/** Parameters every list endpoint accepts, besides its own filters. */
export const LIST_PARAMS = ["limit", "starting_after", "ending_before"] as const;
export const SEARCH_PARAMS = ["query", "limit", "page"] as const;

type Listable = JsonObject & { id: string };

/** Stores keep creation order; Stripe lists newest first. */
export function newestFirst<T>(objects: ReadonlyMap<string, T>): T[] {
  return [...objects.values()].reverse();
}

/**
 * Stripe's cursor pagination over a newest-first list: `starting_after` pages towards older
 * objects, `ending_before` towards newer ones; `has_more` says whether that direction has more.
 */
export function paginateList<T extends Listable>(
  newestFirst: readonly T[],
  params: Params,
  url: string,
  resourceName: string,
): ListObject<T> {
  const limit = readLimit(params);
  const startingAfter = params.string("starting_after");
  const endingBefore = params.string("ending_before");
  if (startingAfter !== undefined && endingBefore !== undefined) {
    throw invalidRequest("You may only specify one of these parameters: ending_before, starting_after.", {
      param: "ending_before",
    });
  }
  if (startingAfter !== undefined) {
    const older = newestFirst.slice(positionOf(newestFirst, startingAfter, resourceName, "starting_after") + 1);
    return { object: "list", data: older.slice(0, limit), has_more: older.length > limit, url };
  }
  if (endingBefore !== undefined) {
    const newer = newestFirst.slice(0, positionOf(newestFirst, endingBefore, resourceName, "ending_before"));
    return { object: "list", data: newer.slice(-limit), has_more: newer.length > limit, url };
  }
  return { object: "list", data: newestFirst.slice(0, limit), has_more: newestFirst.length > limit, url };
}

/** Search pagination: `next_page` is an opaque cursor to pass back as `page`. */
export function paginateSearch<T extends Listable>(
  newestFirst: readonly T[],
  params: Params,
  url: string,
): SearchResult<T> {
  const limit = readLimit(params);
  const page = params.string("page");
  let start = 0;
  if (page !== undefined) {
    const afterId = Buffer.from(page, "base64url").toString("utf8");
    const position = newestFirst.findIndex((item) => item.id === afterId);
    if (position === -1) throw invalidRequest(`Invalid page: ${page}`, { param: "page" });
    start = position + 1;
  }
  const data = newestFirst.slice(start, start + limit);
  const hasMore = newestFirst.length > start + limit;
  const last = data.at(-1);
  return {
    object: "search_result",
    data,
    has_more: hasMore,
    next_page: hasMore && last ? Buffer.from(last.id, "utf8").toString("base64url") : null,
    url,
  };
}

function readLimit(params: Params): number {
  const limit = params.integer("limit") ?? 10;
  if (limit < 1 || limit > 100) {
    throw invalidRequest(`Invalid limit: must be between 1 and 100, got ${limit}`, { param: "limit" });
  }
  return limit;
}

function positionOf(items: readonly Listable[], id: string, resourceName: string, param: string): number {
  const position = items.findIndex((item) => item.id === id);
  if (position === -1) throw resourceMissing(resourceName, id, param);
  return position;
}
