import { describe, expect, it } from "vitest";
import { nextBatch } from "./cleanup-expired-keys";

const pacing = { batchSize: 1_000, minBatchSize: 100, targetBatchMs: 25, maxDuty: 0.1 };

describe("nextBatch", () => {
  it("pauses in proportion to the batch's own time, so deleting takes at most maxDuty of the wall time", () => {
    for (const ms of [1, 25, 80]) {
      const { pauseMs } = nextBatch(pacing, 1_000, 1_000, ms);
      expect(pauseMs).toBeCloseTo(9 * ms);
      expect(ms / (ms + pauseMs)).toBeCloseTo(0.1);
    }
    expect(nextBatch({ ...pacing, maxDuty: 0.25 }, 1_000, 1_000, 20).pauseMs).toBeCloseTo(60);
    expect(nextBatch({ ...pacing, maxDuty: 1 }, 1_000, 1_000, 20).pauseMs).toBe(0);
  });

  it("sizes the next batch for the target time at the rate just seen", () => {
    expect(nextBatch(pacing, 800, 800, 40).size).toBe(500);
    expect(nextBatch(pacing, 400, 400, 20).size).toBe(500);
  });

  it("changes the size by at most 2× per batch", () => {
    expect(nextBatch(pacing, 800, 800, 400).size).toBe(400);
    expect(nextBatch(pacing, 200, 200, 1).size).toBe(400);
    expect(nextBatch(pacing, 200, 200, 0).size).toBe(400);
  });

  it("keeps the size within [minBatchSize, batchSize]", () => {
    expect(nextBatch(pacing, 150, 150, 1_000).size).toBe(100);
    expect(nextBatch(pacing, 100, 100, 1_000).size).toBe(100);
    expect(nextBatch(pacing, 900, 900, 1).size).toBe(1_000);
    expect(nextBatch(pacing, 1_000, 1_000, 1).size).toBe(1_000);
  });
});
