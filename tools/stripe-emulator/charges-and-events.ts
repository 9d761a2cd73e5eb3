import { disputeRoutes } from "./disputes";
import { resourceMissing } from "./errors";
import { LIST_PARAMS, newestFirst, paginateList } from "./list-pagination";
import type { Charge, ListObject, StripeEvent } from "./objects";
import { inRange } from "./params";
import type { ApiContext, Route } from "./routes";

// Read-only resources: charges are created by payment attempts, events by every state change.
// A charge's disputes are served from here too (disputes.ts), so the route table stays as it was.

function retrieveCharge(context: ApiContext): Charge {
  context.params.allowOnly([]);
  const charge = context.account.charges.get(context.resourceId);
  if (!charge) throw resourceMissing("charge", context.resourceId, "id");
  return charge;
}

function retrieveEvent(context: ApiContext): StripeEvent {
  context.params.allowOnly([]);
  const event = context.account.events.get(context.resourceId);
  if (!event) throw resourceMissing("event", context.resourceId, "id");
  return event;
}

function listEvents(context: ApiContext): ListObject<StripeEvent> {
  const { params } = context;
  params.allowOnly([...LIST_PARAMS, "type", "types", "created"]);
  const type = params.string("type");
  const types = params.stringList("types");
  const created = params.range("created");
  const matching = newestFirst(context.account.events).filter(
    (event) =>
      (type === undefined || matchesTypePattern(event.type, type)) &&
      (types === undefined || types.includes(event.type)) &&
      inRange(event.created, created),
  );
  return paginateList(matching, params, "/v1/events", "event");
}

/** Stripe accepts a `*` wildcard in `type`, e.g. `payment_intent.*`. */
function matchesTypePattern(type: string, pattern: string): boolean {
  if (!pattern.includes("*")) return type === pattern;
  const prefix = pattern.slice(0, pattern.indexOf("*"));
  return type.startsWith(prefix);
}

export const chargeAndEventRoutes: readonly Route[] = [
  { method: "GET", pattern: "/v1/charges/:id", returns: { type: "charge", list: false }, handle: retrieveCharge },
  ...disputeRoutes,
  { method: "GET", pattern: "/v1/events", returns: { type: "event", list: true }, handle: listEvents },
  { method: "GET", pattern: "/v1/events/:id", returns: { type: "event", list: false }, handle: retrieveEvent },
];
