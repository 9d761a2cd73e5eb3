import { isErrorCode, type ErrorCode } from "@/lib/error-codes";

/** An operation of the OpenAPI document, as the error page names and links it. */
export type OperationRef = { method: string; path: string; operationId: string; tag: string };

export type OperationsByCode = { operations: OperationRef[]; byCode: Map<ErrorCode, OperationRef[]> };

const HTTP_METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);

/**
 * Which operations answer which error code, read from the OpenAPI document itself (each
 * problem answer's schema names its codes: `properties.code.enum`), so that this page says
 * what GET /api/openapi.json says.
 */
export function operationsByCode(document: Record<string, unknown>): OperationsByCode {
  const operations: OperationRef[] = [];
  const byCode = new Map<ErrorCode, OperationRef[]>();
  for (const [path, item] of entries(document.paths)) {
    for (const [method, operation] of entries(item)) {
      if (!HTTP_METHODS.has(method) || !isObject(operation)) continue;
      const ref: OperationRef = {
        method: method.toUpperCase(),
        path,
        operationId: typeof operation.operationId === "string" ? operation.operationId : `${method} ${path}`,
        tag: Array.isArray(operation.tags) && typeof operation.tags[0] === "string" ? operation.tags[0] : "default",
      };
      operations.push(ref);
      for (const code of new Set(codesIn(operation.responses))) {
        if (!isErrorCode(code)) continue;
        const list = byCode.get(code) ?? [];
        list.push(ref);
        byCode.set(code, list);
      }
    }
  }
  return { operations, byCode };
}

/** Where the API reference (swagger-ui with deep linking) shows an operation: `#/<tag>/<operationId>`. */
export function referenceHref({ tag, operationId }: OperationRef): string {
  return `/docs/api#/${encodeURIComponent(tag)}/${encodeURIComponent(operationId)}`;
}

/** Every string of every `properties.code.enum` under `value`. */
function codesIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(codesIn);
  if (!isObject(value)) return [];
  const code = isObject(value.properties) ? value.properties.code : undefined;
  const own = isObject(code) && Array.isArray(code.enum) ? code.enum.filter((item): item is string => typeof item === "string") : [];
  return [...own, ...Object.values(value).flatMap(codesIn)];
}

function entries(value: unknown): Array<[string, unknown]> {
  return isObject(value) ? Object.entries(value) : [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
