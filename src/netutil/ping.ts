import { setTimeout as sleep } from 'node:timers/promises';
import type { ProbeResult, ProbeState } from './probe-result.js';
import { resolveHost } from './resolve.js';
import { probeTcp } from './tcp-probe.js';
import { UdpPinger } from './udp-pinger.js';

/** rocket listens on 8888 unless told otherwise, so that is what ping tries. */
export const DEFAULT_PING_PORT = 8888;

export interface PingOptions {
  /** Name or IP address; a name is resolved once, before the first probe. */
  host: string;
  /** Default 8888. */
  port?: number;
  /** `tcp` times the handshake; `udp` needs a rocket UDP listener to answer. Default tcp. */
  protocol?: 'tcp' | 'udp';
  /** Probes to send; Infinity means until `signal` aborts. Default 4. */
  count?: number;
  /** Time from the start of one probe to the start of the next. Default 1000. */
  intervalMs?: number;
  /** How long to wait for an answer. Default 2000. */
  timeoutMs?: number;
  /** Insist on IPv4 or IPv6 when the name has both. */
  family?: 4 | 6;
  /** Stops the run: the probe in flight is dropped (not reported) and the iteration ends. */
  signal?: AbortSignal;
}

/** One probe's outcome, with enough context to print or log it alone. */
export interface PingProbe extends ProbeResult {
  /** 1, 2, 3, ... */
  seq: number;
  host: string;
  address: string;
  port: number;
  protocol: 'tcp' | 'udp';
  state: ProbeState;
}

/**
 * Pings a port: one probe per interval, each timing a TCP handshake (or, with
 * `protocol: 'udp'`, a ping/pong with a rocket UDP listener). A refused connection is an
 * answer from the host, so it is a probe with state `closed` and a time, not a loss.
 * Yields each probe as it completes; ends after `count` probes or when `signal` aborts.
 * Rejects with a RocketError (ROCKET_ERR_UNKNOWN_HOST) if the host does not resolve.
 *
 * @example
 * const probes = [];
 * for await (const probe of pingHost({ host: '127.0.0.1', port: 8888, count: 3 })) {
 *   console.log(probe.seq, probe.state, probe.timeMs);
 *   probes.push(probe);
 * }
 * console.log(summarizePings(probes).lossPercent);
 */
export async function* pingHost(options: PingOptions): AsyncGenerator<PingProbe, void, undefined> {
  const port = options.port ?? DEFAULT_PING_PORT;
  const protocol = options.protocol ?? 'tcp';
  const count = options.count ?? 4;
  const intervalMs = options.intervalMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 2000;
  const { signal } = options;
  if (!(count >= 1)) throw new RangeError(`count must be at least 1, got ${count}`);
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be more than 0, got ${timeoutMs}`);
  if (!(intervalMs >= 0)) throw new RangeError(`intervalMs must be 0 or more, got ${intervalMs}`);

  const target = await resolveHost(options.host, options.family);
  if (signal?.aborted) return;
  const pinger = protocol === 'udp' ? await UdpPinger.open(target.address, port) : undefined;
  try {
    for (let seq = 1; seq <= count; seq++) {
      const started = performance.now();
      let result: ProbeResult;
      try {
        result = pinger
          ? await pinger.probe(seq, { timeoutMs, signal })
          : await probeTcp(target.address, port, { timeoutMs, signal });
      } catch (err) {
        if (signal?.aborted) return;
        throw err;
      }
      yield { seq, host: target.host, address: target.address, port, protocol, ...result };
      if (seq === count) break;
      const wait = intervalMs - (performance.now() - started);
      if (wait > 0) {
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          return; // aborted between probes
        }
      } else if (signal?.aborted) return;
    }
  } finally {
    await pinger?.close();
  }
}
