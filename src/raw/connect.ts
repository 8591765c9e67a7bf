import type net from 'node:net';
import { UsageError } from '../errors.js';
import { ReadBufferLender } from '../transport/read-buffer.js';
import { relaySocket } from '../transport/relay.js';
import { formatHostPort } from '../transport/socket-errors.js';
import { connectTcp } from '../transport/tcp.js';
import { connectTls } from '../transport/tls.js';
import { RawSession } from './session.js';
import { canReuseReadBuffer, openRawIo, SOCKET_READ_BYTES } from './stdio.js';
import type { RawConnectOptions, RawStats } from './types.js';
import { rawConnectUdp } from './udp.js';

/**
 * Connects to host:port and pipes input to the peer and the peer to output, byte for byte,
 * like `nc host port`. The end of input sends our FIN (the connection is half-closed) and
 * the peer's reply is still read to its end, so a request/response over a half-closed
 * connection works; with `quitAfterEofMs` it ends that long after our FIN even if the peer
 * stays open (nc -q). The promise resolves with the byte counts once both directions are
 * done and everything received is written out. A reader of the output that goes away
 * (EPIPE, `| head -c 10`) ends the transfer quietly, the way SIGPIPE ends `cat`.
 *
 * With `udp`, each chunk of input is sent as datagrams of at most 16 KiB, and datagrams from
 * the peer are written to the output; see {@link rawConnectUdp} for when that ends.
 *
 * Rejects with a RocketError: "Cannot connect to 10.0.0.5:7000 (tcp): nobody is listening on
 * 10.0.0.5:7000", "Connection to 10.0.0.5:7000 lost: connection reset by peer", ...
 *
 * @example
 * // An HTTP/1.0 request over a half-closed connection, the reply to stdout:
 * import { Readable } from 'node:stream';
 * const stats = await rawConnect({
 *   host: 'example.com',
 *   port: 80,
 *   input: Readable.from([Buffer.from('GET / HTTP/1.0\r\nHost: example.com\r\n\r\n')]),
 * });
 * console.error(`${stats.bytesReceived} bytes in ${stats.durationMs} ms`);
 */
export async function rawConnect(options: RawConnectOptions): Promise<RawStats> {
  if (options.udp) {
    if (options.tls)
      throw new UsageError('cannot use --tls with --udp: TLS needs TCP, and nothing over UDP is encrypted');
    return rawConnectUdp(options);
  }
  const io = openRawIo(options); // nothing is read before the relay starts
  // TLS decrypts into buffers of its own, so only plain TCP reads into a lent buffer.
  const lender =
    !options.tls && canReuseReadBuffer(io.output) ? new ReadBufferLender(SOCKET_READ_BYTES) : undefined;
  let socket: net.Socket;
  try {
    const target = { host: options.host, port: options.port, timeoutMs: options.connectTimeoutMs };
    socket = options.tls
      ? await connectTls({ ...target, allowHalfOpen: true, tls: options.tls })
      : await connectTcp({ ...target, allowHalfOpen: true, noDelay: false, onread: lender?.onread });
  } catch (err) {
    await io.close();
    throw err;
  }
  lender?.attach(socket);
  const session = new RawSession(options.progress); // the clock starts once connected
  try {
    await relaySocket(socket, {
      input: io.input,
      output: io.output,
      counters: session.counters,
      peerLabel: formatHostPort(options.host, options.port),
      quitAfterEofMs: options.quitAfterEofMs,
      exitOnPeerEnd: options.exitOnPeerEnd ?? io.inputIsTerminal,
      signal: options.signal,
    });
  } finally {
    socket.destroy();
    // The summary line goes out before any error message the caller prints.
    session.stop();
    await io.close();
  }
  return session.stop();
}
