import type { Account } from "./accounts";
import { invalidRequest } from "./errors";
import type { Json, JsonObject } from "./objects";

export type ExpandableType =
  | "payment_intent"
  | "charge"
  | "refund"
  | "dispute"
  | "payment_method"
  | "confirmation_token"
  | "event";

// Which id fields of each object `expand[]` may replace with the object itself.
const EXPANDABLE_FIELDS: Record<ExpandableType, Readonly<Record<string, ExpandableType>>> = {
  payment_intent: { latest_charge: "charge", payment_method: "payment_method" },
  charge: { payment_intent: "payment_intent" },
  refund: { charge: "charge", payment_intent: "payment_intent" },
  dispute: { charge: "charge", payment_intent: "payment_intent" },
  payment_method: {},
  confirmation_token: { payment_intent: "payment_intent" },
  event: {},
};

export interface ResponseShape {
  type: ExpandableType;
  list: boolean;
}

/** Rejects paths Stripe would reject, before the request executes (so nothing is stored). */
export function validateExpandPaths(paths: readonly string[], shape: ResponseShape): void {
  for (const path of paths) {
    let segments = path.split(".");
    if (shape.list) {
      if (segments[0] !== "data") {
        throw invalidRequest(
          `This property cannot be expanded (${segments[0] ?? ""}). You may want to try expanding 'data.${path}' instead.`,
          { param: "expand" },
        );
      }
      segments = segments.slice(1);
    }
    let type = shape.type;
    for (const segment of segments) {
      const next = EXPANDABLE_FIELDS[type][segment];
      if (next === undefined) throw invalidRequest(`This property cannot be expanded (${segment}).`, { param: "expand" });
      type = next;
    }
  }
}

/** Returns a copy of `body` with the requested id fields replaced by the objects they name. */
export function expandResponse(
  body: JsonObject,
  paths: readonly string[],
  shape: ResponseShape,
  account: Account,
): JsonObject {
  if (paths.length === 0) return body;
  const copy = structuredClone(body);
  for (const path of paths) {
    const segments = path.split(".");
    if (shape.list) {
      const data = copy.data;
      if (Array.isArray(data)) data.forEach((item) => expandIn(item, segments.slice(1), shape.type, account));
    } else {
      expandIn(copy, segments, shape.type, account);
    }
  }
  return copy;
}

function expandIn(node: Json, segments: string[], type: ExpandableType, account: Account): void {
  const [field, ...rest] = segments;
  if (field === undefined || !isObject(node)) return;
  const targetType = EXPANDABLE_FIELDS[type][field];
  if (targetType === undefined) return;
  const value = node[field];
  if (typeof value === "string") {
    const target = lookup(account, targetType, value);
    if (target) node[field] = structuredClone(target);
  }
  const expanded = node[field];
  if (rest.length > 0 && expanded !== undefined) expandIn(expanded, rest, targetType, account);
}

function isObject(value: Json): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function lookup(account: Account, type: ExpandableType, id: string): JsonObject | undefined {
  switch (type) {
    case "payment_intent":
      return account.paymentIntents.get(id);
    case "charge":
      return account.charges.get(id);
    case "refund":
      return account.refunds.get(id);
    case "dispute":
      return account.disputes.get(id);
    case "payment_method":
      return account.paymentMethods.get(id)?.paymentMethod;
    case "confirmation_token":
      return account.confirmationTokens.get(id)?.token;
    case "event":
      return account.events.get(id);
  }
}
