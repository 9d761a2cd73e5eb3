import "server-only";

/** The phases of a keyed request at which the engine calls atPhase, in order. */
export type Phase = "after-claim" | "after-stripe-call" | "before-complete";

/**
 * A seam, and nothing else: the engine calls this at each phase of a keyed request it holds
 * the lock of, and in the app it does nothing. A test harness's own build may swap this
 * module for one of its own (next.config.ts, docs/decisions/007-test-hooks-outside-src.md):
 * the chaos suite's kills the server at a chosen phase, to prove that another instance
 * re-drives the key to the same single PaymentIntent. No build of `npm run build` holds it.
 */
export function atPhase(_phase: Phase): void {}
