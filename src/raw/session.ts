import type { Writable } from 'node:stream';
import type { RelayCounters } from '../transport/relay.js';
import { ProgressLine } from './progress.js';
import type { RawPeer, RawStats } from './types.js';

/**
 * The bookkeeping every raw transfer shares: the two byte counters, the clock, and the
 * progress line drawn from them when a progress stream was given.
 */
export class RawSession {
  readonly counters: RelayCounters = { bytesSent: 0, bytesReceived: 0 };
  datagramsDropped = 0;
  private readonly started = performance.now();
  private ended: number | undefined;
  private readonly progress: ProgressLine | undefined;

  constructor(progress: Writable | undefined) {
    this.progress = progress ? new ProgressLine(progress, this.counters) : undefined;
  }

  /** Stops the clock and draws the final summary line, both only the first time; returns the numbers. */
  stop(udp = false): RawStats {
    this.ended ??= performance.now();
    this.progress?.stop();
    const stats: RawStats = {
      bytesSent: this.counters.bytesSent,
      bytesReceived: this.counters.bytesReceived,
      durationMs: this.ended - this.started,
    };
    if (udp) stats.datagramsDropped = this.datagramsDropped;
    return stats;
  }
}

/** The far end of an accepted socket, with IPv4-mapped IPv6 shown as plain IPv4. */
export function peerOf(remoteAddress: string | undefined, remotePort: number | undefined): RawPeer {
  return { address: (remoteAddress ?? '?').replace(/^::ffff:/, ''), port: remotePort ?? 0 };
}
