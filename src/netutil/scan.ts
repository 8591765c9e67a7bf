import { setMaxListeners } from 'node:events';
import { RocketError } from '../errors.js';
import { isPort } from './ports.js';
import { resolveHost } from './resolve.js';
import { serviceNamesForPort } from './services.js';
import { probeTcp } from './tcp-probe.js';

/**
 * A TCP port's state as a scanner reports it:
 * - `open`: the handshake completed, something listens;
 * - `closed`: the host answered with a reset;
 * - `filtered`: no answer in time, or the network refused: a firewall may be dropping probes.
 */
export type PortState = 'open' | 'closed' | 'filtered';

export interface ScanResult {
  port: number;
  state: PortState;
  /** IANA TCP service names registered on the port (what usually listens there, not what does). */
  services: string[];
}

export interface ScanOptions {
  /** Per-port wait for an answer. Default 1000. */
  timeoutMs?: number;
  /** Connection attempts in flight at once. Default 200; each holds a file descriptor. */
  concurrency?: number;
  family?: 4 | 6;
  /** Aborting stops the scan; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called for each port as soon as its state is known (in completion order). */
  onResult?: (result: ScanResult) => void;
}

export const DEFAULT_SCAN_CONCURRENCY = 200;
/** Above this, a scan is more likely to run out of file descriptors than to finish sooner. */
export const MAX_SCAN_CONCURRENCY = 1000;

/**
 * Finds which TCP ports of a host are open by trying a handshake on each, many at a
 * time but never more than `concurrency`. Results come back sorted by port. The host
 * is resolved once. Rejects with a RocketError if the host does not resolve or the
 * machine runs out of sockets mid-scan (lower `concurrency` then).
 *
 * @example
 * const results = await scanPorts('127.0.0.1', parsePortList('22,80,8000-8100'));
 * for (const r of results.filter((r) => r.state === 'open')) console.log(r.port, r.services[0]);
 */
export async function scanPorts(
  host: string,
  ports: readonly number[],
  options: ScanOptions = {},
): Promise<ScanResult[]> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const concurrency = options.concurrency ?? DEFAULT_SCAN_CONCURRENCY;
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be more than 0, got ${timeoutMs}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number of at least 1, got ${concurrency}`);
  }
  const bad = ports.find((p) => !isPort(p));
  if (bad !== undefined) throw new RangeError(`ports must be whole numbers from 0 to 65535, got ${bad}`);

  const target = await resolveHost(host, options.family);
  // One controller for the workers: the caller's abort or the first fatal error stops them all.
  const stop = new AbortController();
  // Each probe in flight listens for the abort; that many listeners is expected, not a leak.
  setMaxListeners(concurrency + 1, stop.signal);
  const onAbort = (): void => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const results: ScanResult[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ports.length && !stop.signal.aborted) {
      const port = ports[next++]!;
      const probe = await probeTcp(target.address, port, { timeoutMs, signal: stop.signal });
      if (probe.state === 'error') {
        const hint =
          probe.error === 'EMFILE' || probe.error === 'ENFILE'
            ? ' (too many open files); lower the concurrency'
            : '';
        const err = new RocketError(
          'ROCKET_ERR_IO',
          `Cannot scan ${target.host} port ${port} (tcp): ${probe.error}${hint}`,
        );
        stop.abort(err);
        throw err;
      }
      const state: PortState = probe.state === 'open' || probe.state === 'closed' ? probe.state : 'filtered';
      // No round-trip time: with hundreds of attempts in flight it would measure the event loop, not the network.
      const result: ScanResult = { port, state, services: serviceNamesForPort(port, 'tcp') };
      results.push(result);
      options.onResult?.(result);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, ports.length) }, worker));
  } catch (err) {
    throw stop.signal.aborted ? stop.signal.reason : err;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (stop.signal.aborted) throw stop.signal.reason;
  return results.sort((a, b) => a.port - b.port);
}
