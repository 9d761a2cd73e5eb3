import "server-only";
import { type z } from "zod";
import { ApiError } from "./api-error";
import { readBodyText } from "./read-body-text";

/** Payment requests are small; anything bigger is refused before it is parsed. */
export const MAX_JSON_BODY_BYTES = 16 * 1024;

/**
 * The request's JSON body, validated by `schema` (defaults applied). Throws the matching
 * ApiError: 415 unless the body is declared JSON (which also keeps cross-site HTML forms,
 * which cannot send that type without a CORS preflight, from posting with a cookie), 413
 * over the size limit (counted while reading, so a body without Content-Length cannot fill
 * memory), 400 invalid_json, or 400 invalid_request (see validate).
 */
export async function parseJsonBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  const type = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (type !== "application/json" && !type.endsWith("+json")) {
    throw new ApiError("unsupported_media_type", "Send the body as JSON with Content-Type: application/json.");
  }
  const text = await readBodyText(request, MAX_JSON_BODY_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError("invalid_json", "The body is not valid JSON.");
  }
  return validate(schema, json);
}

/**
 * `value` parsed by `schema`, or a 400 invalid_request whose `errors` member lists every
 * problem as `{ path, message }` (path dot-joined, "" for the whole value), so a form can
 * show each message beside its field.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
  const detail = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; ");
  throw new ApiError("invalid_request", detail, { extensions: { errors } });
}
