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
 * Running totals of a ping, in constant memory, so `rocket ping -c 0` can run for days.
 *
 * @example
 * const tally = new PingTally();
 * for await (const probe of pingHost({ host: '127.0.0.1', count: 3 })) tally.add(probe);
 * tally.summary().lossPercent; // 0
 */
export class PingTally {
  #sent = 0;
  #open = 0;
  #closed = 0;
  /** Answers that carried a time; the rtt figures are over these. */
  #timed = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  // Welford's running mean and sum of squared deviations: stable where mean-of-squares
  // minus squared-mean loses precision (and can go negative) for nearly equal times.
  #mean = 0;
  #m2 = 0;

  add(probe: ProbeResult): void {
    this.#sent++;
    if (probe.state === 'open') this.#open++;
    else if (probe.state === 'closed') this.#closed++;
    else return;
    const t = probe.timeMs;
    if (t === undefined) return;
    this.#timed++;
    const delta = t - this.#mean;
    this.#mean += delta / this.#timed;
    this.#m2 += delta * (t - this.#mean);
    this.#min = Math.min(this.#min, t);
    this.#max = Math.max(this.#max, t);
  }

  summary(): PingSummary {
    const received = this.#open + this.#closed;
    const lost = this.#sent - received;
    return {
      sent: this.#sent,
      received,
      open: this.#open,
      closed: this.#closed,
      lost,
      lossPercent: this.#sent === 0 ? 0 : (lost / this.#sent) * 100,
      rtt:
        this.#timed === 0
          ? null
          : { min: this.#min, avg: this.#mean, max: this.#max, mdev: Math.sqrt(this.#m2 / this.#timed) },
    };
  }
}

/**
 * Adds up a run of probes the way ping's closing lines do.
 *
 * @example
 * summarizePings([{ state: 'open', timeMs: 1 }, { state: 'timeout' }]);
 * // { sent: 2, received: 1, open: 1, closed: 0, lost: 1, lossPercent: 50,
 * //   rtt: { min: 1, avg: 1, max: 1, mdev: 0 } }
 */
export function summarizePings(probes: Iterable<ProbeResult>): PingSummary {
  const tally = new PingTally();
  for (const probe of probes) tally.add(probe);
  return tally.summary();
}
