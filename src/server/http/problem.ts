import "server-only";
import { ERROR_CODES, errorTypeUrl, type ErrorCode } from "@/lib/error-codes";
import type { Problem, ProblemExtensions } from "@/lib/schemas/problem";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** An RFC 9457 problem document for `code` (its shape: src/lib/schemas/problem.ts). */
export function problem(code: ErrorCode, detail: string, requestId: string, extensions: ProblemExtensions = {}): Problem {
  const { status, title, retry } = ERROR_CODES[code];
  // Extensions first: a stored decline is replayed as text, so this order is its bytes.
  return { ...extensions, type: errorTypeUrl(code), title, status, detail, code, retry, requestId };
}

export function problemResponse(body: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { ...headers, "Content-Type": PROBLEM_CONTENT_TYPE, "Cache-Control": "no-store" },
  });
}
