import { ERROR_CODES, type ErrorCode } from "./error-codes";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  [extension: string]: unknown;
};

/** An RFC 9457 problem document for `code`. */
export function problem(
  code: ErrorCode,
  detail: string,
  requestId: string,
  extensions: Record<string, unknown> = {},
): Problem {
  const { status, title } = ERROR_CODES[code];
  return { ...extensions, type: `/docs/errors#${code}`, title, status, detail, code, requestId };
}

export function problemResponse(body: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { ...headers, "Content-Type": PROBLEM_CONTENT_TYPE, "Cache-Control": "no-store" },
  });
}
