import { invalidRequest } from "./errors";
import type { PaymentIntent } from "./objects";

// The part of Stripe's search query language that integrations use to find their PaymentIntents:
// `metadata['order_id']:'42' AND status:'succeeded'`, plus currency and amount comparisons.

type Comparison = ":" | ">" | "<" | ">=" | "<=";
const COMPARISONS: readonly Comparison[] = [":", ">", "<", ">=", "<="];

export type SearchClause =
  | { field: "metadata"; key: string; value: string }
  | { field: "status" | "currency"; value: string }
  | { field: "amount"; comparison: Comparison; value: number };

const METADATA_CLAUSE = /^metadata\[(['"])(.+?)\1\]:(['"])(.*)\3$/;
const STRING_CLAUSE = /^(status|currency):(['"])(.*)\2$/;
const AMOUNT_CLAUSE = /^amount(:|>=|<=|>|<)(\d+)$/;

export function parseSearchQuery(query: string): SearchClause[] {
  if (/\sOR\s/.test(query)) {
    throw invalidRequest("The emulator's search supports clauses joined with AND only.", { param: "query" });
  }
  return query
    .trim()
    .split(/\s+AND\s+/)
    .map(parseClause);
}

function parseClause(clause: string): SearchClause {
  const metadata = METADATA_CLAUSE.exec(clause);
  if (metadata) return { field: "metadata", key: metadata[2] ?? "", value: metadata[4] ?? "" };
  const text = STRING_CLAUSE.exec(clause);
  if (text?.[1] === "status" || text?.[1] === "currency") return { field: text[1], value: text[3] ?? "" };
  const amount = AMOUNT_CLAUSE.exec(clause);
  const comparison = COMPARISONS.find((candidate) => candidate === amount?.[1]);
  if (amount && comparison) return { field: "amount", comparison, value: Number(amount[2]) };
  const field = /^-?([\w]+)/.exec(clause)?.[1];
  const message =
    field && !["metadata", "status", "currency", "amount"].includes(field)
      ? `Field '${field}' is an unsupported search field for resource payment_intent.`
      : `Could not parse the search query clause: ${clause}`;
  throw invalidRequest(message, { param: "query" });
}

export function matchesSearch(intent: PaymentIntent, clauses: readonly SearchClause[]): boolean {
  return clauses.every((clause) => {
    switch (clause.field) {
      case "metadata":
        return intent.metadata[clause.key] === clause.value;
      case "status":
        return intent.status === clause.value;
      case "currency":
        return intent.currency === clause.value.toLowerCase();
      case "amount":
        return compare(intent.amount, clause.comparison, clause.value);
    }
  });
}

function compare(actual: number, comparison: Comparison, expected: number): boolean {
  switch (comparison) {
    case ":":
      return actual === expected;
    case ">":
      return actual > expected;
    case "<":
      return actual < expected;
    case ">=":
      return actual >= expected;
    case "<=":
      return actual <= expected;
  }
}
