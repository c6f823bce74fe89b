/** The replay estimate: the model's figures for the documented example, and how memory and concurrency move them. */
import { describe, expect, it } from 'vitest';
import { estimateReplay, FULL_VCPU_MB, PRICES } from '../../pipeline/replay/estimate.js';

describe('estimateReplay', () => {
  it('gives the figures docs/replay.md quotes for a year of CloudTrail in two regions', () => {
    const objects = 288 * 365 * 2;
    const e = estimateReplay({ objects, bytes: objects * 4000 });
    expect(objects).toBe(210_240);
    expect(Math.round(e.workerSeconds / 60)).toBe(182); // 3h02m
    expect(Math.round(e.wallSeconds / 60)).toBe(91); // 1h31m
    expect(e.costUsd.lambda.toFixed(2)).toBe('0.15');
    expect(e.costUsd.sqs.toFixed(2)).toBe('0.03');
    expect(e.costUsd.s3.toFixed(2)).toBe('2.27');
    expect(e.costUsd.total.toFixed(2)).toBe('2.45');
    expect(e.assumptions).toEqual({ memoryMb: 1024, concurrency: 2, cpuShare: 1024 / FULL_VCPU_MB });
  });

  it('more memory buys CPU up to one vCPU; more concurrency shortens the wall time only', () => {
    const base = estimateReplay({ objects: 10_000, bytes: 1e9 });
    const full = estimateReplay({ objects: 10_000, bytes: 1e9, memoryMb: FULL_VCPU_MB });
    const beyond = estimateReplay({ objects: 10_000, bytes: 1e9, memoryMb: 3538 });
    expect(full.workerSeconds).toBeCloseTo(base.workerSeconds * (1024 / FULL_VCPU_MB), 6);
    expect(beyond.workerSeconds).toBeCloseTo(full.workerSeconds, 6);
    // Twice the memory for the same seconds: twice the GB-seconds.
    expect(beyond.costUsd.lambda).toBeGreaterThan(full.costUsd.lambda * 1.9);
    const wide = estimateReplay({ objects: 10_000, bytes: 1e9, concurrency: 20 });
    expect(wide.workerSeconds).toBe(base.workerSeconds);
    expect(wide.wallSeconds).toBeCloseTo(base.wallSeconds / 10, 6);
    expect(wide.costUsd).toEqual(base.costUsd);
  });

  it('nothing to replay costs nothing', () => {
    const e = estimateReplay({ objects: 0, bytes: 0 });
    expect([e.workerSeconds, e.wallSeconds, e.costUsd.total]).toEqual([0, 0, 0]);
    expect(PRICES.s3Put).toBeGreaterThan(PRICES.s3Get);
  });
});
