import net from 'node:net';
import {
  millisecondsSince,
  type ProbeOptions,
  type ProbeResult,
  resultOfSocketError,
} from './probe-result.js';

/**
 * Times one TCP handshake to an IP address and port, then closes the connection at once
 * without sending anything. Resolve names first (see `resolveHost`): the timer starts
 * just before connect, and a DNS lookup would be counted in the round trip.
 *
 * @example
 * const r = await probeTcp('127.0.0.1', 8888, { timeoutMs: 1000 });
 * if (r.state === 'open') console.log(`connected in ${r.timeMs?.toFixed(2)} ms`);
 * else if (r.state === 'closed') console.log('host is up, port closed');
 */
export function probeTcp(address: string, port: number, options: ProbeOptions): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const socket = net.connect({ host: address, port });
    // For an IP address Node defers the connect() system call to the next tick, so starting
    // the clock here leaves out the socket's JavaScript set-up (over a millisecond the first time).
    const start = process.hrtime.bigint();
    const finish = (result: ProbeResult | { aborted: unknown }): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      // destroy() may still report an error we no longer care about; keep a listener so it is not thrown.
      socket.on('error', () => {});
      socket.destroy();
      if ('aborted' in result) reject(result.aborted);
      else resolve(result);
    };
    const onAbort = (): void => finish({ aborted: signal?.reason });
    const timer = setTimeout(() => finish({ state: 'timeout' }), options.timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish({ state: 'open', timeMs: millisecondsSince(start) }));
    socket.once('error', (err) => finish(resultOfSocketError(err, millisecondsSince(start))));
  });
}
