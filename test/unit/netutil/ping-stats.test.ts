import { describe, expect, it } from 'vitest';
import { PingTally, summarizePings } from '../../../src/netutil/ping-stats.js';

describe('summarizePings', () => {
  it('counts connected and refused probes as answers and the rest as loss', () => {
    const summary = summarizePings([
      { state: 'open', timeMs: 1 },
      { state: 'closed', timeMs: 3 },
      { state: 'timeout' },
      { state: 'unreachable', error: 'EHOSTUNREACH' },
    ]);
    expect(summary).toMatchObject({ sent: 4, received: 2, open: 1, closed: 1, lost: 2, lossPercent: 50 });
  });

  it('computes min/avg/max and mdev (the standard deviation) over the answers', () => {
    const { rtt } = summarizePings([
      { state: 'open', timeMs: 1 },
      { state: 'open', timeMs: 2 },
      { state: 'open', timeMs: 3 },
      { state: 'timeout' },
    ]);
    expect(rtt?.min).toBe(1);
    expect(rtt?.max).toBe(3);
    expect(rtt?.avg).toBeCloseTo(2, 10);
    expect(rtt?.mdev).toBeCloseTo(Math.sqrt(2 / 3), 10);
  });

  it('has no rtt without answers, and no loss without probes', () => {
    expect(summarizePings([{ state: 'timeout' }]).rtt).toBeNull();
    expect(summarizePings([{ state: 'timeout' }]).lossPercent).toBe(100);
    expect(summarizePings([])).toEqual({
      sent: 0,
      received: 0,
      open: 0,
      closed: 0,
      lost: 0,
      lossPercent: 0,
      rtt: null,
    });
  });

  it('gives mdev 0, not NaN, when every time is equal', () => {
    const times = Array.from({ length: 5 }, () => ({ state: 'open' as const, timeMs: 0.1 }));
    expect(summarizePings(times).rtt?.mdev).toBe(0);
  });
});

describe('PingTally', () => {
  it('agrees with the textbook formulas over many probes', () => {
    const times = Array.from({ length: 1000 }, (_, i) => 0.2 + ((i * 7919) % 97) / 10);
    const tally = new PingTally();
    for (const timeMs of times) tally.add({ state: 'open', timeMs });
    tally.add({ state: 'timeout' });
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const sd = Math.sqrt(times.reduce((a, t) => a + (t - mean) ** 2, 0) / times.length);
    const summary = tally.summary();
    expect(summary).toMatchObject({ sent: 1001, received: 1000, lost: 1 });
    expect(summary.rtt?.avg).toBeCloseTo(mean, 9);
    expect(summary.rtt?.mdev).toBeCloseTo(sd, 9);
    expect(summary.rtt?.min).toBe(Math.min(...times));
    expect(summary.rtt?.max).toBe(Math.max(...times));
  });
});
