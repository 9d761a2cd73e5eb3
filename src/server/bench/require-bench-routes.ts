import "server-only";
import { env } from "@/env";
import { ApiError } from "@/server/http/api-error";

/**
 * Benchmark routes answer 404 unless BENCH_ROUTES=enabled, which src/env.ts refuses outside
 * the local emulator: they are unreachable in production.
 */
export function requireBenchRoutes(): void {
  if (env().BENCH_ROUTES !== "enabled") throw new ApiError("not_found", "No such route.");
}
