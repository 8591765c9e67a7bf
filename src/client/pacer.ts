import { TokenBucket } from '../chat/rate-limit.js';

/**
 * Keeps a client under the rate its room reads from one member (the `rate` of the welcome):
 * `rocket send` with thousands of letters would otherwise be held back by the room for
 * longer than its flood rule allows and be disconnected halfway. A burst of `rate`, then
 * 90 % of it a second, leaves the room's own bucket (a burst of twice the rate) never empty.
 * A room that names no rate is not paced.
 */
export class Pacer {
  private bucket: TokenBucket | undefined;
  private rate: number | undefined;

  /** Sets the room's rate; undefined (an older room) means no pacing. */
  setRate(messagesPerSecond: number | undefined): void {
    if (messagesPerSecond === this.rate) return; // a repeated welcome (UDP) starts no new burst
    this.rate = messagesPerSecond;
    this.bucket =
      typeof messagesPerSecond === 'number' && messagesPerSecond > 0
        ? new TokenBucket(messagesPerSecond * 0.9, messagesPerSecond, Date.now())
        : undefined;
  }

  /** Takes the next slot; returns the milliseconds until it comes (0: now). */
  reserve(): number {
    return this.bucket?.spend(1, Date.now()) ?? 0;
  }

  /** Resolves when one more message may go. */
  turn(): Promise<void> {
    const wait = this.reserve();
    return wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)) : Promise.resolve();
  }
}
