import { describe, expect, it } from 'vitest';
import { FloodGuard, type RateLimits } from '../../../src/chat/rate-limit.js';

const LIMITS: RateLimits = { messagesPerSecond: 100, bytesPerSecond: 1024 * 1024, floodMs: 10_000 };

/**
 * A plain TCP peer as StreamSession accounts for it: each chunk read is accounted for its
 * bytes, then each of its lines as it runs, the clock moving on by every wait. Returns the
 * time of the disconnect, or undefined if none came within `untilMs`.
 */
function floodWithChunks(guard: FloodGuard, linesPerChunk: number, bytesPerChunk: number, untilMs: number) {
  let now = 0;
  while (now < untilMs) {
    let verdict = guard.account(0, bytesPerChunk, now);
    if ('disconnect' in verdict) return now;
    now += verdict.wait;
    for (let i = 0; i < linesPerChunk; i++) {
      verdict = guard.account(1, 0, now);
      if ('disconnect' in verdict) return now;
      now += verdict.wait;
    }
  }
  return undefined;
}

describe('FloodGuard', () => {
  it('disconnects a peer held back for the flood time, however its lines are cut into chunks', () => {
    // 4,000 short lines in a chunk (40 s of them) and 250 long ones (2.5 s of them) alike.
    for (const [lines, bytes] of [
      [4000, 65_536],
      [250, 65_536],
      [20, 65_536],
    ] as const) {
      const at = floodWithChunks(new FloodGuard(LIMITS, 0), lines, bytes, 60_000);
      expect(at, `${lines} lines a chunk`).toBeGreaterThan(9_000);
      expect(at, `${lines} lines a chunk`).toBeLessThan(11_000);
    }
  });

  it('forgets a hold once the peer has stopped for a second', () => {
    const guard = new FloodGuard(LIMITS, 0);
    let now = 0;
    // Held back for about 9 s (a burst of 200, then 100 a second)...
    for (let i = 0; i < 1100; i++) {
      const verdict = guard.account(1, 0, now);
      expect(verdict).not.toHaveProperty('disconnect');
      if ('wait' in verdict) now += verdict.wait;
    }
    // ...then quiet for 1.5 s, then held back for 9 s more: two holds, not one of 19 s.
    now += 1500;
    for (let i = 0; i < 1000; i++) {
      const verdict = guard.account(1, 0, now);
      expect(verdict).not.toHaveProperty('disconnect');
      if ('wait' in verdict) now += verdict.wait;
    }
    expect(now).toBeGreaterThan(18_000);
  });

  it('never holds back a peer within its rate', () => {
    const guard = new FloodGuard(LIMITS, 0);
    for (let now = 0; now < 60_000; now += 20) expect(guard.account(1, 200, now)).toEqual({ wait: 0 });
  });
});
