import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { decodeDatagram, encodeDatagram, type UdpPing } from '../protocol/udp-wire.js';
import { describeConnectError } from '../transport/socket-errors.js';
import {
  millisecondsSince,
  type ProbeOptions,
  type ProbeResult,
  resultOfSocketError,
} from './probe-result.js';

interface Pending {
  seq: number;
  start: bigint;
  finish(result: ProbeResult | { aborted: unknown }): void;
}

/**
 * Pings a rocket UDP listener, which answers `{type:'ping',seq,ts}` with a pong of the
 * same seq (see protocol/udp-wire.ts). The socket is connected, so the kernel reports
 * an ICMP "port unreachable" as ECONNREFUSED and the probe says `closed`, not `timeout`
 * (Linux and Windows do this; some systems stay silent). A plain UDP listener such as
 * `nc -u -l` never answers, so its probes time out; one that answers something other than
 * a pong (an echo service) is a reply marked `foreign`. One probe is in flight at a time.
 *
 * @example
 * const pinger = await UdpPinger.open('127.0.0.1', 8888);
 * try {
 *   const r = await pinger.probe(1, { timeoutMs: 2000 });
 *   console.log(r.state, r.timeMs);
 * } finally {
 *   await pinger.close();
 * }
 */
export class UdpPinger {
  readonly #socket: dgram.Socket;
  #pending: Pending | undefined;

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
    socket.on('message', (datagram) => this.#onMessage(datagram));
    socket.on('error', (err) => this.#onError(err));
  }

  /** Opens a socket connected to the address (an IP, not a name) and port. */
  static open(address: string, port: number): Promise<UdpPinger> {
    const socket = dgram.createSocket(isIPv6(address) ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        socket.close();
        reject(describeConnectError(err, address, port, 'udp'));
      };
      socket.once('error', onError);
      socket.connect(port, address, (err?: Error) => {
        socket.off('error', onError);
        if (err) onError(err);
        else resolve(new UdpPinger(socket));
      });
    });
  }

  /** Sends ping `seq` and waits for its pong, an ICMP error, or the time limit. */
  probe(seq: number, options: ProbeOptions): Promise<ProbeResult> {
    if (this.#pending) return Promise.reject(new Error('UdpPinger.probe: a probe is already in flight'));
    return new Promise((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => pending.finish({ aborted: signal?.reason });
      const timer = setTimeout(() => pending.finish({ state: 'timeout' }), options.timeoutMs);
      const pending: Pending = {
        seq,
        start: process.hrtime.bigint(),
        finish: (result) => {
          if (this.#pending !== pending) return;
          this.#pending = undefined;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if ('aborted' in result) reject(result.aborted);
          else resolve(result);
        },
      };
      this.#pending = pending;
      signal?.addEventListener('abort', onAbort, { once: true });
      const ping: UdpPing = { type: 'ping', seq, ts: Date.now() };
      this.#socket.send(encodeDatagram(ping), (err) => {
        if (err) pending.finish(resultOfSocketError(err, millisecondsSince(pending.start)));
      });
    });
  }

  close(): Promise<void> {
    this.#pending?.finish({ state: 'error', error: 'ECLOSED' });
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #onMessage(datagram: Buffer): void {
    const pending = this.#pending;
    if (!pending) return;
    const message = decodeDatagram(datagram);
    if (message?.type !== 'pong') {
      // Not a rocket, but something listens and answered (an echo service, say).
      pending.finish({ state: 'open', timeMs: millisecondsSince(pending.start), foreign: true });
      return;
    }
    // A late pong of an earlier, timed-out probe is not this probe's answer.
    if (message.seq !== pending.seq) return;
    pending.finish({ state: 'open', timeMs: millisecondsSince(pending.start) });
  }

  #onError(err: Error): void {
    // An ICMP error arrives on the socket, not tied to a datagram: it belongs to the probe in flight.
    const pending = this.#pending;
    if (pending) pending.finish(resultOfSocketError(err, millisecondsSince(pending.start)));
  }
}
