/**
 * A token bucket that may go into debt: `ratePerSecond` tokens come back each second, up
 * to `burst`. Spending always succeeds and returns how long to wait until the debt is
 * paid. Pure, with the clock passed in, so it is tested without waiting.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Spends `cost`; returns the milliseconds until the balance is positive again (0 if it is). */
  spend(cost: number, now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    this.tokens -= cost;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }
}

export interface RateLimits {
  messagesPerSecond: number;
  bytesPerSecond: number;
  /** A peer held back this long without a break is flooding and is disconnected. */
  floodMs: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  messagesPerSecond: 100,
  bytesPerSecond: 1024 * 1024,
  floodMs: 10_000,
};

export type Throttle = { wait: number } | { disconnect: true };

/**
 * Per-connection limits on messages and bytes a second. Over the limit a TCP peer is not
 * read for a while (its own kernel buffers fill and it slows down: nothing is lost); a
 * peer that stays over the limit for `floodMs` is flooding and is disconnected.
 */
export class FloodGuard {
  private readonly messages: TokenBucket;
  private readonly bytes: TokenBucket;
  private throttledSince: number | undefined;
  /** When the last hold ends (or ended). */
  private heldUntil = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly limits: RateLimits,
    now = Date.now(),
  ) {
    this.messages = new TokenBucket(limits.messagesPerSecond, limits.messagesPerSecond * 2, now);
    this.bytes = new TokenBucket(limits.bytesPerSecond, limits.bytesPerSecond * 2, now);
  }

  /**
   * Accounts for what arrived; says how long to hold the peer back, if at all. Only a break
   * of BREAK_MS after a hold ends the count towards `floodMs`: a TCP peer is read again the
   * moment its queue empties, so its next chunk always fits the byte budget, and counting
   * that as a break let a peer with lines over about 66 bytes flood for ever (a chunk
   * holds under 10 s of its lines, and each chunk started the count again).
   */
  account(messages: number, bytes: number, now = Date.now()): Throttle {
    const wait = Math.max(this.messages.spend(messages, now), this.bytes.spend(bytes, now));
    if (wait === 0) {
      if (now - this.heldUntil >= BREAK_MS) this.throttledSince = undefined;
      return { wait: 0 };
    }
    this.throttledSince ??= now;
    this.heldUntil = now + wait;
    if (now - this.throttledSince + wait > this.limits.floodMs) return { disconnect: true };
    return { wait };
  }
}

/** How long a held-back peer must go without being held back before it counts as having stopped. */
const BREAK_MS = 1000;
