import type { Account } from "./accounts";
import type { ExpandableType } from "./expand";
import type { EventType, JsonObject, PaymentIntent } from "./objects";
import type { Params } from "./params";

/** What a /v1 handler gets: its account, its parameters and a way to record events. */
export interface ApiContext {
  account: Account;
  params: Params;
  /** The `:id` path segment; "" on collection routes. */
  resourceId: string;
  /** Stripe timestamps are Unix seconds. */
  nowSeconds(): number;
  emit(type: EventType, object: JsonObject): void;
  /**
   * The version of a PaymentIntent that `/search` may match now, or undefined while the object is
   * not searchable yet: Stripe's search lags behind writes (search-index.ts, `searchLagMs`).
   */
  searchable(intent: PaymentIntent): PaymentIntent | undefined;
  /** The emulator's own base URL, for links it hands out. */
  baseUrl: string;
  /** The request was made with the account's publishable key (only routes marked `publishable`). */
  publishableKey: boolean;
}

export interface Route {
  method: "GET" | "POST";
  /** e.g. "/v1/payment_intents/:id/confirm"; at most one `:id`. */
  pattern: string;
  /**
   * Whether a publishable key may call it: what Stripe.js calls from a browser. Everything else
   * answers a publishable key with Stripe's 401 (api-keys.ts).
   */
  publishable?: true;
  /** What the route answers with, so `expand[]` can be checked before anything executes. */
  returns: { type: ExpandableType; list: boolean };
  /** Answers 200 with the returned object, or throws an StripeApiError. */
  handle(context: ApiContext): JsonObject;
}

export interface RouteMatch {
  route: Route;
  resourceId: string;
}

export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch | undefined {
  const segments = path.split("/");
  for (const route of routes) {
    if (route.method !== method) continue;
    const resourceId = matchPattern(route.pattern.split("/"), segments);
    if (resourceId !== undefined) return { route, resourceId };
  }
  return undefined;
}

function matchPattern(pattern: string[], segments: string[]): string | undefined {
  if (pattern.length !== segments.length) return undefined;
  let resourceId = "";
  for (const [index, part] of pattern.entries()) {
    const segment = segments[index] ?? "";
    if (part === ":id") {
      if (segment === "" || !/^[\w-]+$/.test(segment)) return undefined;
      resourceId = segment;
    } else if (part !== segment) {
      return undefined;
    }
  }
  return resourceId;
}
