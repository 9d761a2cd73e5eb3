import type { Phase } from "@/server/idempotency/phase-hooks";

/*
 * The chaos build's phase hooks (global-setup.ts builds `.next-chaos` with this module in
 * place of src/server/idempotency/phase-hooks.ts, see next.config.ts): an instance started
 * with CHAOS_CRASH_AT=<phase> kills itself with SIGKILL when a keyed request it holds reaches
 * that phase — no finally blocks, no graceful shutdown, exactly like a power cut or the OOM
 * killer — so the suite can prove that another instance recovers the request. Without the
 * variable it does nothing. No other build holds this file (production-build.test.ts in the
 * e2e suite, chaos-build.test.ts here).
 */

/** Every phase, so that a misspelt CHAOS_CRASH_AT fails loudly instead of never crashing. */
const PHASES: Record<Phase, true> = { "after-claim": true, "after-stripe-call": true, "before-complete": true };

const crashAt = process.env.CHAOS_CRASH_AT;
if (crashAt !== undefined && !Object.hasOwn(PHASES, crashAt)) {
  throw new Error(`CHAOS_CRASH_AT=${crashAt} names no phase (${Object.keys(PHASES).join(", ")})`);
}

export function atPhase(phase: Phase): void {
  if (crashAt !== phase) return;
  process.stderr.write(`CHAOS_CRASH_AT=${phase}: killing this server (pid ${process.pid}) with SIGKILL\n`);
  process.kill(process.pid, "SIGKILL");
}
