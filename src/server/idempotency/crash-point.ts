import "server-only";
import { env, type Env } from "@/env";

export type CrashPoint = NonNullable<Env["CHAOS_CRASH_AT"]>;

/**
 * Test-only fault hook for the chaos suite: when CHAOS_CRASH_AT names this point, the server
 * dies here with SIGKILL — no finally blocks, no graceful shutdown, exactly like a power cut
 * or the OOM killer — so the suite can prove that another instance recovers the request.
 * env.ts refuses the variable unless Stripe is the local emulator, so this is a no-op in
 * production.
 */
export function crashPoint(point: CrashPoint): void {
  if (env().CHAOS_CRASH_AT !== point) return;
  process.stderr.write(`CHAOS_CRASH_AT=${point}: killing this server (pid ${process.pid}) with SIGKILL\n`);
  process.kill(process.pid, "SIGKILL");
}
