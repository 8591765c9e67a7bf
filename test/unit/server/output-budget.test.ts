import { describe, expect, it } from 'vitest';
import { type BehindMember, OutputBudget } from '../../../src/server/output-budget.js';

const MiB = 1024 * 1024;

function members(...queued: number[]) {
  const dropped: number[] = [];
  const list: BehindMember[] = queued.map((bytes, i) => ({
    queuedOutputBytes: bytes,
    dropAsTooFarBehind: () => dropped.push(i),
  }));
  return { list, dropped };
}

describe('OutputBudget', () => {
  it('drops no one while the room keeps within its budget', () => {
    const { list, dropped } = members(...Array.from({ length: 100 }, () => 1 * MiB));
    expect(new OutputBudget(() => list, 128 * MiB).check()).toBe(0);
    expect(dropped).toEqual([]);
  });

  it('over budget, drops the members furthest behind until under three quarters of it', () => {
    // 40 MiB waiting against a budget of 32: down to 24 takes the 8 and the 7 and the 6.
    const { list, dropped } = members(1 * MiB, 8 * MiB, 3 * MiB, 6 * MiB, 7 * MiB, 5 * MiB, 4 * MiB, 6 * MiB);
    expect(new OutputBudget(() => list, 32 * MiB).check()).toBe(3);
    expect(dropped.sort()).toEqual([1, 3, 4].sort()); // 8, 6 (the first of the two) and 7 MiB
  });
});
