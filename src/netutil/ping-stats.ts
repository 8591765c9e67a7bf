import type { ProbeResult } from './probe-result.js';

export interface RttStats {
  min: number;
  avg: number;
  max: number;
  /** Mean deviation as ping prints it: the standard deviation of the round-trip times. */
  mdev: number;
}

export interface PingSummary {
  sent: number;
  /** Probes the host answered: `open` plus `closed`. */
  received: number;
  open: number;
  closed: number;
  /** Probes without an answer: timeouts, unreachable and errors. */
  lost: number;
  /** lost / sent * 100; 0 when nothing was sent. */
  lossPercent: number;
  /** Over every answer (a reset is a round trip too); null when there was none. */
  rtt: RttStats | null;
}

/**
 * Adds up a run of probes the way ping's closing lines do.
 *
 * @example
 * summarizePings([{ state: 'open', timeMs: 1 }, { state: 'timeout' }]);
 * // { sent: 2, received: 1, open: 1, closed: 0, lost: 1, lossPercent: 50,
 * //   rtt: { min: 1, avg: 1, max: 1, mdev: 0 } }
 */
export function summarizePings(probes: readonly ProbeResult[]): PingSummary {
  const times = probes.flatMap((p) =>
    p.timeMs !== undefined && (p.state === 'open' || p.state === 'closed') ? [p.timeMs] : [],
  );
  const open = probes.filter((p) => p.state === 'open').length;
  const closed = probes.filter((p) => p.state === 'closed').length;
  const sent = probes.length;
  const received = open + closed;
  return {
    sent,
    received,
    open,
    closed,
    lost: sent - received,
    lossPercent: sent === 0 ? 0 : ((sent - received) / sent) * 100,
    rtt: times.length === 0 ? null : rttStats(times),
  };
}

function rttStats(times: number[]): RttStats {
  const sum = times.reduce((a, b) => a + b, 0);
  const avg = sum / times.length;
  const squares = times.reduce((a, b) => a + b * b, 0) / times.length;
  return {
    min: Math.min(...times),
    avg,
    max: Math.max(...times),
    // Clamp: rounding can make the variance a hair below zero when all times are equal.
    mdev: Math.sqrt(Math.max(0, squares - avg * avg)),
  };
}
