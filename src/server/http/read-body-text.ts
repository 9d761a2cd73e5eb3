import "server-only";
import { ApiError } from "./api-error";

/**
 * The request body as UTF-8 text, refused with 413 `payload_too_large` past `limit` bytes.
 * Counted while reading, so a body without (or lying about) Content-Length cannot fill memory.
 */
export async function readBodyText(request: Request, limit: number): Promise<string> {
  if (Number(request.headers.get("content-length") ?? 0) > limit) throw tooLarge(limit);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(limit: number): ApiError {
  return new ApiError("payload_too_large", `The body must be at most ${limit} bytes.`);
}
